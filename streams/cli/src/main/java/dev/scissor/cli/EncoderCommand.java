package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelUnavailableException;
import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.pipeline.EncoderWorkers;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scissor encoder}: runs the encoder stage against a broker until stopped (Ctrl-C or
 * SIGTERM encode and commit what is waiting, then close).
 */
@Command(
        name = "encoder",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "run the ONNX vision encoder against a broker (frames -> tokens)",
            "",
            "Reads VideoFrame records (jpeg, png or bgr24) from the frames topic, decodes and preprocesses them, "
                    + "encodes batches of frames from any streams with an ONNX vision encoder (CUDA when the gpu build "
                    + "has it, else CPU), and writes one FrameTokens record per frame (grid [H*W, C] row-major float32) "
                    + "to the tokens topic, exactly once. Frames it cannot encode (corrupt or oversized images, records "
                    + "that are not frames) go to the dlq topic with the reason in headers. Run several with the same "
                    + "--group to share the partitions. --create-topics creates the frames, tokens and dlq topics; "
                    + "--config files may hold consumer.* / producer.* keys for one client only.",
            ""
        },
        footer = {
            "",
            "The built-in model is obtained on first use with `npm pack nsfwjs@4.4.0`, converted to ONNX and cached "
                    + "in ~/.cache/scissor/models (SCISSOR_MODEL_CACHE); see encoder/README.md.",
            "",
            "example: scissor encoder --bootstrap localhost:9092 --create-topics --batch 8"
        })
final class EncoderCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Mixin
    private KafkaCliOptions kafka;

    @Option(
            names = "--model",
            paramLabel = "NAME|FILE",
            description = "built-in encoder (mnv2-nsfwjs: 14x14x816, the default; mnv2-nsfwjs-136; "
                    + "mnv3-centernet) or an encoder descriptor file (.properties or .json)")
    private String model;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", description = "where ONNX Runtime runs (default auto)")
    private String device;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "ONNX Runtime intra-op threads (default 0 = every core)")
    private Integer threads;

    @Option(names = "--batch", paramLabel = "N", description = "most frames per model run (default 8)")
    private Integer batch;

    @Option(
            names = "--linger-ms",
            paramLabel = "MS",
            description = "how long a partial batch waits for more frames (default 20)")
    private Long lingerMs;

    @Option(
            names = "--workers",
            paramLabel = "N",
            description = "encoder workers in this process, sharing the model (default 1); on a small CPU box "
                    + "--workers <cores> --threads 1 encodes the most frames/s")
    private int workers = 1;

    @Option(
            names = "--group",
            paramLabel = "ID",
            description = "consumer group (default " + EncoderConfig.DEFAULT_GROUP_ID + ")")
    private String group;

    @Option(
            names = "--instance-id",
            paramLabel = "ID",
            description = "stable id of this instance (transactional id <group>-<id>; default random)")
    private String instanceId;

    @Option(names = "--at-least-once", description = "no transactions: flush, then commit offsets")
    private boolean atLeastOnce;

    @Option(
            names = "--metrics-port",
            paramLabel = "PORT",
            description = "HTTP port of GET /metrics (default 9402; 0 = any free port; -1 = none)")
    private Integer metricsPort;

    private final PrintStream out;
    private final PrintStream err;

    EncoderCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new EncoderCommand(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (kafka.describeConfig) {
            out.print(EncoderConfig.describe());
            return 0;
        }
        if (workers < 1) {
            throw CommandLines.usage(spec.commandLine(), "--workers must be at least 1, got %d", workers);
        }
        kafka.put(EncoderConfig.MODEL, model);
        kafka.put(EncoderConfig.DEVICE, device);
        kafka.put(EncoderConfig.THREADS, threads);
        kafka.put(EncoderConfig.BATCH_MAX, batch);
        kafka.put(EncoderConfig.BATCH_LINGER_MS, lingerMs);
        kafka.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        kafka.put(EncoderConfig.INSTANCE_ID, instanceId);
        kafka.put(EncoderConfig.EXACTLY_ONCE, atLeastOnce ? "false" : null);
        kafka.put(EncoderConfig.METRICS_PORT, metricsPort);
        final Map<String, Object> settings = kafka.settings();
        final EncoderConfig config;
        try {
            config = new EncoderConfig(settings);
            config.descriptor();
        } catch (final ConfigException e) {
            err.println("scissor encoder: " + e.getMessage()
                    + "\n(run 'scissor encoder --describe-config' for every setting)");
            return 2;
        }
        try {
            kafka.ensureTopics(
                    settings,
                    List.of(config.framesTopic(), config.tokensTopic(), config.dlqTopic()),
                    EncoderConfig.MAX_REQUEST_BYTES,
                    "encoder",
                    out);
            return serve(config, settings, workers, kafka.runForSeconds, out, err);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (final ModelUnavailableException e) {
            err.println("scissor encoder: the model is not available: " + e.getMessage());
            return 1;
        } catch (final Exception e) {
            err.println("scissor encoder: " + e.getMessage());
            return 1;
        }
    }

    private static int serve(
            final EncoderConfig config,
            final Map<String, Object> settings,
            final int workers,
            final long runForSeconds,
            final PrintStream out,
            final PrintStream err)
            throws Exception {
        // try-with-resources skips a null endpoint (metrics port -1). serve closes the workers
        // before its final report; closing again here is a no-op, and covers a failed start. The
        // registry, owned here, closes after the stage, the endpoint last.
        try (HttpService http = MetricsEndpoint.start(
                        "encoder",
                        config.metricsBind(),
                        config.metricsPort(),
                        EncoderConfig.METRICS_PORT,
                        EncoderConfig.METRICS_BIND,
                        out);
                Metrics metrics = new Metrics();
                EncoderWorkers stage = new EncoderWorkers(settings, workers)) {
            if (http != null) {
                stage.registerMetrics(metrics.expose(http));
            }
            return serve(config, stage, workers, runForSeconds, out, err);
        }
    }

    private static int serve(
            final EncoderConfig config,
            final EncoderWorkers stage,
            final int workers,
            final long runForSeconds,
            final PrintStream out,
            final PrintStream err)
            throws Exception {
        final Thread hook = new Thread(stage::close, "scissor-encoder-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        final EncoderModelDescriptor d = stage.model().descriptor();
        out.printf(
                "scissor encoder: %s -> %s (dlq %s), model '%s' (%dx%dx%d) on %s, %d worker(s), batch <= %d, %s%n",
                config.framesTopic(),
                config.tokensTopic(),
                config.dlqTopic(),
                d.id(),
                d.gridHeight(),
                d.gridWidth(),
                d.tokenDim(),
                stage.model().executionProvider(),
                workers,
                config.batchMax(),
                config.exactlyOnce() ? "exactly once" : "at least once");
        stage.start();
        final long deadline = runForSeconds < 0 ? Long.MAX_VALUE : System.nanoTime() + runForSeconds * 1_000_000_000L;
        long lastOut = 0;
        long lastReport = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (stage.awaitAnyStop(Duration.ofMillis(
                    Math.min(10_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000))))) {
                break;
            }
            final long now = System.nanoTime();
            final long tokens = stage.tokensOut();
            out.printf(
                    Locale.ROOT,
                    "scissor encoder: %d frames in, %d token frames out (%.1f/s), %d dead letters, "
                            + "%.1f frames/batch, model %.1f ms/frame, decode+preprocess %.1f ms/frame%n",
                    stage.framesIn(),
                    tokens,
                    (tokens - lastOut) * 1e9 / (now - lastReport),
                    stage.deadLetters(),
                    (double) tokens / Math.max(1, stage.batches()),
                    stage.encodeNanos() / 1e6 / Math.max(1, tokens),
                    stage.prepareNanos() / 1e6 / Math.max(1, stage.framesIn()));
            lastOut = tokens;
            lastReport = now;
        }
        stage.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is running: it closes the stage
        }
        if (stage.failure() != null) {
            err.println("scissor encoder: stopped after a failure: " + stage.failure());
            return 1;
        }
        out.printf(
                "scissor encoder: stopped after %d token frames and %d dead letters%n",
                stage.tokensOut(), stage.deadLetters());
        return 0;
    }
}
