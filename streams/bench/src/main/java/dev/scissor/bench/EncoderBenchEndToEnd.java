package dev.scissor.bench;

import static dev.scissor.bench.EncoderBenchCommand.FPS;
import static dev.scissor.bench.EncoderBenchCosts.cpuByGroup;
import static dev.scissor.bench.EncoderBenchCosts.processCpu;

import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.CaptureStage;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.pipeline.EncoderWorkers;
import dev.scissor.testkit.EmbeddedKafka;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The end-to-end check of {@code bench-encoder}: capture and encoder workers on an in-process broker. */
final class EncoderBenchEndToEnd {

    private EncoderBenchEndToEnd() {}

    static void run(
            final Path clip, final int cameras, final int seconds, final double utilisation, final PrintStream out)
            throws Exception {
        out.printf(
                "end to end: %d camera(s) (%s paced at real time, sampled at %.0f fps) -> capture -> frames -> "
                        + "encoder (%d workers x 1 thread, batch 8) -> tokens, in-process broker, %d s%n",
                cameras, clip.getFileName(), FPS, Runtime.getRuntime().availableProcessors(), seconds);
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(Map.of("frames", 4, "tokens", 4, "dlq", 1));
            final Map<String, Object> c = new LinkedHashMap<>();
            c.put("bootstrap.servers", kafka.bootstrapServers());
            final List<CaptureStage.Source> sources = new ArrayList<>();
            for (int i = 1; i <= cameras; i++) {
                sources.add(new CaptureStage.Source("cam-" + i, SourceSpec.parse(clip.toString())));
            }
            final Map<String, Object> e = new LinkedHashMap<>();
            e.put("bootstrap.servers", kafka.bootstrapServers());
            e.put(EncoderConfig.BATCH_MAX, 8);
            e.put(EncoderConfig.THREADS, 1);
            try (EncoderWorkers encoder =
                            new EncoderWorkers(e, Runtime.getRuntime().availableProcessors());
                    CaptureStage capture = new CaptureStage(new CaptureConfig(c), sources)) {
                encoder.start();
                capture.start();
                final long t0 = System.nanoTime();
                final long warmup = Math.min(10, seconds / 4);
                long sentAtWarmup = 0;
                long tokensAtWarmup = 0;
                long cpuAtWarmup = 0;
                long tAtWarmup = 0;
                Map<String, Long> groupsAtWarmup = Map.of();
                final List<Long> backlog = new ArrayList<>();
                for (int s = 1; s <= seconds; s++) {
                    Thread.sleep(Math.max(0, (t0 + s * 1_000_000_000L - System.nanoTime()) / 1_000_000));
                    if (s == warmup) {
                        sentAtWarmup = capture.framesSent();
                        tokensAtWarmup = encoder.tokensOut();
                        cpuAtWarmup = processCpu();
                        groupsAtWarmup = cpuByGroup();
                        tAtWarmup = System.nanoTime();
                    }
                    if (s % 5 == 0) {
                        backlog.add(capture.framesSent() - encoder.tokensOut());
                    }
                }
                final double window = (System.nanoTime() - tAtWarmup) / 1e9;
                final long sent = capture.framesSent() - sentAtWarmup;
                final long tokens = encoder.tokensOut() - tokensAtWarmup;
                final double processCpuMs = (processCpu() - cpuAtWarmup) / 1e6;
                final Map<String, Long> groups = cpuByGroup();
                final Map<String, Double> groupMs = new LinkedHashMap<>();
                double javaMs = 0;
                for (final Map.Entry<String, Long> g : groups.entrySet()) {
                    final double ms = (g.getValue() - groupsAtWarmup.getOrDefault(g.getKey(), 0L)) / 1e6;
                    groupMs.put(g.getKey(), ms);
                    javaMs += ms;
                }
                final double nativeMs = Math.max(0, processCpuMs - javaMs);
                final long endBacklog = capture.framesSent() - encoder.tokensOut();
                capture.close();
                final long drainStart = System.nanoTime();
                while (encoder.tokensOut() < capture.framesSent() && System.nanoTime() - drainStart < 30_000_000_000L) {
                    Thread.sleep(100);
                }
                final double drain = (System.nanoTime() - drainStart) / 1e9;
                final boolean keptUp = tokens >= 0.95 * sent && endBacklog <= 8 + 2 * FPS * cameras;
                out.printf(
                        Locale.ROOT,
                        "  steady window %.0f s after %d s warm-up: captured %.2f frames/s (expected "
                                + "%.1f), encoded %.2f frames/s%n",
                        window,
                        warmup,
                        sent / window,
                        FPS * cameras,
                        tokens / window);
                out.printf(
                        Locale.ROOT,
                        "  backlog (captured, not yet encoded) every 5 s: %s; drained %s%n",
                        backlog,
                        encoder.tokensOut() >= capture.framesSent()
                                ? String.format(Locale.ROOT, "in %.1f s after capture stopped", drain)
                                : "NOT within 30 s");
                out.printf(
                        Locale.ROOT,
                        "  process CPU %.2f cores of %d; model %.1f ms/frame in the stage, %.1f frames/"
                                + "batch, %d dead letters%n",
                        processCpuMs / 1000 / window,
                        Runtime.getRuntime().availableProcessors(),
                        encoder.encodeNanos() / 1e6 / Math.max(1, encoder.tokensOut()),
                        (double) encoder.tokensOut() / Math.max(1, encoder.batches()),
                        encoder.deadLetters());
                out.printf(
                        "  => on this machine, now: %d camera(s) at %.0f fps %s%n",
                        cameras, FPS, keptUp ? "SUSTAINED" : "NOT sustained (the backlog grows)");
                // CPU per camera-second, measured in the pipeline itself (broker threads excluded): each
                // group's CPU per frame it handled, times the frames a camera sends per second.
                final double frames = Math.max(1, (sent + tokens) / 2.0);
                final double captureMs = groupMs.get("capture") / Math.max(1, sent) * FPS;
                final double encoderMs = groupMs.get("encoder") / Math.max(1, tokens) * FPS;
                final double clientsMs = groupMs.get("clients") / frames * FPS;
                final double nativeShare = nativeMs / frames * FPS;
                final double perCamera = captureMs + encoderMs + clientsMs + nativeShare;
                final int cores = Runtime.getRuntime().availableProcessors();
                out.printf(
                        Locale.ROOT,
                        "  measured CPU per camera-second: capture threads %.1f ms + encoder threads %.1f ms "
                                + "+ Kafka client threads %.1f ms + GC, JIT and other native %.1f ms = %.1f ms%n",
                        captureMs,
                        encoderMs,
                        clientsMs,
                        nativeShare,
                        perCamera);
                out.printf(
                        Locale.ROOT,
                        "  (broker and other JVM threads: %.2f cores, not counted: the broker runs " + "elsewhere)%n",
                        groupMs.get("other java") / 1000 / window);
                out.printf(
                        Locale.ROOT,
                        "  => a dedicated %d-core machine at %.0f%% CPU: %d cameras at %.0f fps end to " + "end%n",
                        cores,
                        utilisation * 100,
                        (int) Math.floor(cores * 1000 * utilisation / perCamera),
                        FPS);
            }
        }
    }
}
