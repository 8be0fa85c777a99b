package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.serve.QaService;
import dev.scissor.serve.ServeConfig;
import dev.scissor.streams.CompressorTopology;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scissor serve}: runs the QA service (LLM questions and query by example over the windows
 * topic) until stopped (Ctrl-C or SIGTERM).
 */
@Command(
        name = "serve",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "the QA service: ask an LLM about the windows topic, find windows by example image",
            "",
            "Indexes every stream's recent CompressedWindows from the windows topic and serves HTTP:",
            "  POST /v1/ask   {\"stream\", \"question\", \"seconds\"}  ask an LLM about the last seconds (image_embeds)",
            "  POST /v1/find  {\"stream\", \"image\": base64, \"top\"} windows that best match an image",
            "  GET  /v1/streams, /v1/streams/{id}/windows, /v1/streams/{id}/windows/latest (from the compressor)",
            "  GET  /metrics",
            "The LLM's API key comes from the environment variable " + ServeConfig.API_KEY_ENV + ". "
                    + "--create-topics creates the windows topic.",
            ""
        },
        footer = {
            "",
            "example: scissor serve --bootstrap localhost:9092 --port 8080 --llm-url http://llm:8000 \\",
            "           --set scissor.serve.llm.model=llava-hf/llava-1.5-7b-hf"
        })
final class ServeCommand implements Callable<Integer> {

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Mixin
    private KafkaCliOptions kafka;

    @Option(names = "--port", paramLabel = "PORT", description = "shorthand for --set " + ServeConfig.PORT + "=PORT")
    private Integer port;

    @Option(
            names = "--llm-url",
            paramLabel = "URL",
            description = "shorthand for --set " + ServeConfig.LLM_URL + "=URL")
    private String llmUrl;

    private final PrintStream out;
    private final PrintStream err;

    ServeCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new ServeCommand(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (kafka.describeConfig) {
            out.print(ServeConfig.describe());
            return 0;
        }
        kafka.put(ServeConfig.PORT, port);
        kafka.put(ServeConfig.LLM_URL, llmUrl);
        final Map<String, Object> settings = kafka.settings();
        final ServeConfig config;
        try {
            config = new ServeConfig(settings);
        } catch (final ConfigException e) {
            err.println(
                    "scissor serve: " + e.getMessage() + "\n(run 'scissor serve --describe-config' for every setting)");
            return 2;
        }
        try {
            kafka.ensureTopics(
                    settings, List.of(config.windowsTopic()), CompressorTopology.MAX_MESSAGE_BYTES, "serve", out);
        } catch (final RuntimeException e) {
            err.println("scissor serve: " + e.getMessage());
            return 1;
        }
        final QaService service = new QaService(config);
        final Thread hook = new Thread(service::close, "scissor-serve-shutdown");
        try {
            service.start();
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf(
                    "scissor serve: http://%s:%d, windows from '%s', LLM %s%n",
                    config.bind(),
                    service.port(),
                    config.windowsTopic(),
                    config.llmUrl().isEmpty() ? "none (/v1/ask returns the request)" : config.llmUrl());
            final long deadline =
                    kafka.runForSeconds < 0 ? Long.MAX_VALUE : System.nanoTime() + kafka.runForSeconds * 1_000_000_000L;
            long lastReport = System.nanoTime();
            while (System.nanoTime() < deadline && service.consumerFailure() == null) {
                Thread.sleep(Math.max(1, Math.min(1000, (deadline - System.nanoTime()) / 1_000_000)));
                if (System.nanoTime() - lastReport > 30_000_000_000L) {
                    out.printf(
                            "scissor serve: %d windows held (%d read, %d malformed)%n",
                            service.index().size(), service.windowsConsumed(), service.malformedWindows());
                    lastReport = System.nanoTime();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final IOException | RuntimeException e) {
            err.println("scissor serve: " + e.getMessage());
            service.close();
            return 1;
        }
        service.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is running: it closes the service
        }
        if (service.consumerFailure() != null) {
            err.println("scissor serve: the windows consumer failed: " + service.consumerFailure());
            return 1;
        }
        out.println("scissor serve: stopped");
        return 0;
    }
}
