package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.http.HttpService;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.streams.CompressorTopology;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scissor compressor}: runs the Kafka Streams compressor against a broker until stopped
 * (Ctrl-C or SIGTERM, which commit and close cleanly).
 */
@Command(
        name = "compressor",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "run the Kafka Streams compressor against a broker (tokens -> windows)",
            "",
            "Reads FrameTokens from the tokens topic, writes CompressedWindows to the windows topic and dead "
                    + "letters to the dlq topic, exactly once. Run several with the same application id to share the "
                    + "streams (partitions) among them. --create-topics creates the tokens, windows and dlq topics.",
            ""
        },
        footer = {
            "",
            "example: scissor compressor --bootstrap localhost:9092 --create-topics \\",
            "           --set scissor.window.frames=32 --set scissor.hop.frames=8 --set scissor.retention=0.1"
        })
final class CompressorCommand implements Callable<Integer> {

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Mixin
    private KafkaCliOptions kafka;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            description = "Kafka Streams application id (default " + CompressorConfig.DEFAULT_APPLICATION_ID + ")")
    private String applicationId;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            description = "where the RocksDB state lives (default: Kafka Streams' default)")
    private String stateDir;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description = "HTTP port of /metrics and GET /v1/streams/{id}/windows/latest (default 8081; 0 = any free "
                    + "port; -1 = none); other instances forward queries to scissor.http.advertised.host (default: "
                    + "this host's name) and this port")
    private Integer httpPort;

    private final PrintStream out;
    private final PrintStream err;

    CompressorCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new CompressorCommand(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (kafka.describeConfig) {
            out.print(CompressorConfig.describe());
            return 0;
        }
        kafka.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        kafka.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        kafka.put(CompressorConfig.HTTP_PORT, httpPort);
        final Map<String, Object> settings = kafka.settings();
        final CompressorConfig config;
        try {
            config = new CompressorConfig(settings);
        } catch (final ConfigException e) {
            err.println("scissor compressor: " + e.getMessage()
                    + "\n(run 'scissor compressor --describe-config' for every setting)");
            return 2;
        }
        try {
            kafka.ensureTopics(
                    settings,
                    List.of(config.tokensTopic(), config.windowsTopic(), config.dlqTopic()),
                    CompressorTopology.MAX_MESSAGE_BYTES,
                    "compressor",
                    out);
            return serve(config, kafka.runForSeconds, out, err);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (final IOException | RuntimeException e) {
            err.println("scissor compressor: " + e.getMessage());
            return 1;
        }
    }

    private static int serve(
            final CompressorConfig config, final long runForSeconds, final PrintStream out, final PrintStream err)
            throws InterruptedException, IOException {
        final HttpService http;
        try {
            http = config.httpPort() < 0
                    ? null
                    : HttpService.start("compressor", config.httpBind(), config.httpPort(), config.httpLimits());
        } catch (final IOException e) {
            throw new IOException(
                    "cannot serve HTTP on " + config.httpBind() + ":" + config.httpPort() + " ("
                            + e.getMessage() + "); set " + CompressorConfig.HTTP_PORT
                            + " (--http-port) to a free port, or -1 "
                            + "for none, or " + CompressorConfig.HTTP_BIND + " to an address of this machine",
                    e);
        }
        try {
            return serve(config, http, runForSeconds, out, err);
        } finally {
            if (http != null) {
                http.close();
            }
        }
    }

    private static int serve(
            final CompressorConfig config,
            final HttpService http,
            final long runForSeconds,
            final PrintStream out,
            final PrintStream err)
            throws InterruptedException {
        final CompressorApp app = new CompressorApp(config, http);
        final Thread hook = new Thread(app::close, "scissor-compressor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.printf(
                "scissor compressor: %s -> %s (dlq %s), W=%d H=%d tau=%s%s, %s%n",
                config.tokensTopic(),
                config.windowsTopic(),
                config.dlqTopic(),
                config.windowFrames(),
                config.hopFrames(),
                config.params().tau(),
                config.params().budget() == null
                        ? ""
                        : " budget " + config.params().budget(),
                config.streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        if (http != null) {
            out.printf(
                    "scissor compressor: HTTP on %s:%d (/metrics, %s%s), advertised as %s%n",
                    config.httpBind(),
                    http.port(),
                    dev.scissor.streams.CompressorQueries.ROUTE,
                    HttpService.environmentToken() == null ? "" : " with a bearer token",
                    app.applicationServer());
        }
        app.start();
        final long deadline = runForSeconds < 0 ? Long.MAX_VALUE : System.nanoTime() + runForSeconds * 1_000_000_000L;
        long lastCount = 0;
        long lastReport = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (app.awaitStop(Duration.ofMillis(
                    Math.min(10_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000))))) {
                break;
            }
            final long now = System.nanoTime();
            final long count = app.recordsProcessed();
            out.printf(
                    "scissor compressor: %s, %d token frames processed (%.1f/s)%n",
                    app.state(), count, (count - lastCount) * 1e9 / (now - lastReport));
            lastCount = count;
            lastReport = now;
        }
        final long total = app.recordsProcessed();
        app.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is running: it closes the app
        }
        if (app.failure() != null) {
            err.println("scissor compressor: stopped after a failure: " + app.failure());
            return 1;
        }
        out.println("scissor compressor: stopped after " + total + " token frames");
        return 0;
    }
}
