package dev.scissor.cli;

import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelUnavailableException;
import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.pipeline.EncoderWorkers;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code scissor encoder}: runs the encoder stage against a broker until stopped (Ctrl-C or
 * SIGTERM encode and commit what is waiting, then close).
 */
final class EncoderCommand {

    private static final String HELP = String.join("\n",
            "usage: scissor encoder --bootstrap HOST:PORT [options]",
            "",
            "Reads VideoFrame records (jpeg, png or bgr24) from the frames topic, decodes and preprocesses them,",
            "encodes batches of frames from any streams with an ONNX vision encoder (CUDA when the gpu build has it,",
            "else CPU), and writes one FrameTokens record per frame (grid [H*W, C] row-major float32) to the tokens",
            "topic, exactly once. Frames it cannot encode (corrupt or oversized images, records that are not",
            "frames) go to the dlq topic with the reason in headers. Run several with the same --group to share",
            "the partitions.",
            "",
            "options:",
            "  --bootstrap SERVERS     Kafka bootstrap servers (required)",
            "  --model NAME|FILE       built-in encoder (mnv2-nsfwjs: 14x14x816, the default; mnv2-nsfwjs-136;",
            "                          mnv3-centernet) or an encoder descriptor file (.properties or .json)",
            "  --device auto|cpu|cuda  where ONNX Runtime runs (default auto)",
            "  --threads N             ONNX Runtime intra-op threads (default 0 = every core)",
            "  --batch N               most frames per model run (default 8)",
            "  --linger-ms MS          how long a partial batch waits for more frames (default 20)",
            "  --workers N             encoder workers in this process, sharing the model (default 1); on a",
            "                          small CPU box --workers <cores> --threads 1 encodes the most frames/s",
            "  --group ID              consumer group (default " + EncoderConfig.DEFAULT_GROUP_ID + ")",
            "  --instance-id ID        stable id of this instance (transactional id <group>-<id>; default random)",
            "  --at-least-once         no transactions: flush, then commit offsets",
            "  --metrics-port PORT     HTTP port of GET /metrics (default 9402; 0 = any free port; -1 = none)",
            "  --config FILE           a properties file (scissor.encoder.* keys and Kafka client keys;",
            "                          consumer.* / producer.* for one client only)",
            "  --set KEY=VALUE         one setting; repeatable; wins over --config",
            "  --create-topics         create missing frames/tokens/dlq topics first",
            "  --partitions P          partitions of created topics (default 8)",
            "  --replication R         replication factor of created topics (default 1)",
            "  --run-for SECONDS       stop after this long (default: run until stopped)",
            "  --describe-config       print every scissor.encoder.* setting with its default and exit",
            "",
            "The built-in model is obtained on first use with `npm pack nsfwjs@4.4.0`, converted to ONNX and cached",
            "in ~/.cache/scissor/models (SCISSOR_MODEL_CACHE); see encoder/README.md.",
            "",
            "example: scissor encoder --bootstrap localhost:9092 --create-topics --batch 8");

    private EncoderCommand() {
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        final KafkaCliOptions kafka = new KafkaCliOptions();
        final Map<String, Object> settings;
        final int[] workers = {1};
        try {
            if (!kafka.parseAll(args, HELP, EncoderConfig::describe, out, (as, i) -> switch (as[i]) {
                case "--model" -> kafka.set(EncoderConfig.MODEL, as, i);
                case "--device" -> kafka.set(EncoderConfig.DEVICE, as, i);
                case "--threads" -> kafka.set(EncoderConfig.THREADS, as, i);
                case "--batch" -> kafka.set(EncoderConfig.BATCH_MAX, as, i);
                case "--linger-ms" -> kafka.set(EncoderConfig.BATCH_LINGER_MS, as, i);
                case "--workers" -> {
                    final String v = KafkaCliOptions.value(as, i + 1, as[i]);
                    try {
                        workers[0] = Integer.parseInt(v);
                    } catch (final NumberFormatException e) {
                        throw new IllegalArgumentException("--workers takes a number, got '" + v + "'");
                    }
                    yield i + 1;
                }
                case "--group" -> kafka.set(ConsumerConfig.GROUP_ID_CONFIG, as, i);
                case "--instance-id" -> kafka.set(EncoderConfig.INSTANCE_ID, as, i);
                case "--at-least-once" -> {
                    kafka.put(EncoderConfig.EXACTLY_ONCE, "false");
                    yield i;
                }
                case "--metrics-port" -> kafka.set(EncoderConfig.METRICS_PORT, as, i);
                default -> -1;
            })) {
                return 0;
            }
            settings = kafka.settings();
            if (workers[0] < 1) {
                throw new IllegalArgumentException("--workers must be at least 1");
            }
        } catch (final IllegalArgumentException | IOException e) {
            err.println("scissor encoder: " + e.getMessage() + "\n\n" + HELP);
            return 2;
        }
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
            kafka.ensureTopics(List.of(config.framesTopic(), config.tokensTopic(), config.dlqTopic()),
                    EncoderConfig.MAX_REQUEST_BYTES, "encoder", out);
            return serve(config, settings, workers[0], kafka.runForSeconds, out, err);
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

    private static int serve(final EncoderConfig config, final Map<String, Object> settings, final int workers,
                             final long runForSeconds, final PrintStream out, final PrintStream err) throws Exception {
        // try-with-resources skips a null endpoint (metrics port -1). serve closes the workers
        // before its final report; closing again here is a no-op, and covers a failed start. The
        // registry, owned here, closes after the stage, the endpoint last.
        try (HttpService http = MetricsEndpoint.start("encoder", config.metricsBind(), config.metricsPort(),
                EncoderConfig.METRICS_PORT, EncoderConfig.METRICS_BIND, out);
             Metrics metrics = new Metrics();
             EncoderWorkers stage = new EncoderWorkers(settings, workers)) {
            if (http != null) {
                stage.registerMetrics(metrics.expose(http));
            }
            return serve(config, stage, workers, runForSeconds, out, err);
        }
    }

    private static int serve(final EncoderConfig config, final EncoderWorkers stage, final int workers,
                             final long runForSeconds, final PrintStream out, final PrintStream err) throws Exception {
        final Thread hook = new Thread(stage::close, "scissor-encoder-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        final EncoderModelDescriptor d = stage.model().descriptor();
        out.printf("scissor encoder: %s -> %s (dlq %s), model '%s' (%dx%dx%d) on %s, %d worker(s), batch <= %d, %s%n",
                config.framesTopic(), config.tokensTopic(), config.dlqTopic(), d.id(), d.gridHeight(), d.gridWidth(),
                d.tokenDim(), stage.model().executionProvider(), workers, config.batchMax(),
                config.exactlyOnce() ? "exactly once" : "at least once");
        stage.start();
        final long deadline = runForSeconds < 0 ? Long.MAX_VALUE : System.nanoTime() + runForSeconds * 1_000_000_000L;
        long lastOut = 0;
        long lastReport = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (stage.awaitAnyStop(Duration.ofMillis(Math.min(10_000,
                    Math.max(1, (deadline - System.nanoTime()) / 1_000_000))))) {
                break;
            }
            final long now = System.nanoTime();
            final long tokens = stage.tokensOut();
            out.printf(Locale.ROOT, "scissor encoder: %d frames in, %d token frames out (%.1f/s), %d dead letters, "
                            + "%.1f frames/batch, model %.1f ms/frame, decode+preprocess %.1f ms/frame%n",
                    stage.framesIn(), tokens, (tokens - lastOut) * 1e9 / (now - lastReport), stage.deadLetters(),
                    (double) tokens / Math.max(1, stage.batches()), stage.encodeNanos() / 1e6 / Math.max(1, tokens),
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
        out.printf("scissor encoder: stopped after %d token frames and %d dead letters%n", stage.tokensOut(),
                stage.deadLetters());
        return 0;
    }
}
