package dev.scissor.bench;

import dev.scissor.bench.CpuSnapshot.Category;
import dev.scissor.compressor.Scissor;
import dev.scissor.streams.CompressorConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/** The {@code bench-streams} report on standard output: Markdown tables of every case's figures, and notes. */
final class BenchReport {

    private final StreamsBenchOptions options;
    private final BenchFrames frames;
    private final PrintStream out;

    BenchReport(final StreamsBenchOptions options, final BenchFrames frames, final PrintStream out) {
        this.options = options;
        this.frames = frames;
        this.out = out;
    }

    /**
     * Prints the report of all cases.
     *
     * @param results the cases' figures, in order
     */
    void print(final List<BenchResult> results) {
        final CompressorConfig probe =
                new CompressorConfig(options.appSettings("localhost:9092", "probe", "t", "w", "d", Paths.get(".")));
        final Properties app = probe.streamsProperties();
        out.printf(
                Locale.ROOT,
                "BLAS: %s, OPENBLAS_NUM_THREADS=%s, cores=%d%s, java %s%n",
                Scissor.blasImplementation(),
                System.getenv().getOrDefault("OPENBLAS_NUM_THREADS", "(unset)"),
                Runtime.getRuntime().availableProcessors(),
                cpuModel(),
                System.getProperty("java.version"));
        out.printf(
                Locale.ROOT,
                "app: %s, commit.interval.ms=%s, num.stream.threads=%s, W=%d H=%d, %d partitions; "
                        + "broker, app, producer and reader in one JVM%n",
                app.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
                app.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
                app.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG),
                probe.windowFrames(),
                probe.hopFrames(),
                options.partitions);
        out.printf(
                Locale.ROOT,
                "frames: %s, %dx%d tokens x %d %s (%d KB a record), producer compression %s%s%n",
                frames.source,
                BenchFrames.GRID,
                BenchFrames.GRID,
                frames.dim,
                frames.dtype.name().toLowerCase(Locale.ROOT),
                frames.recordBytes() / 1024,
                options.compression,
                options.extra.isEmpty() ? "" : ", settings " + options.extra);
        out.printf(
                Locale.ROOT,
                "throughput: saturated, medians of %d x %.1f s slices after a %d s warm-up (%d s for "
                        + "the first case); latency: token CreateTime -> window at a read_committed consumer, %s, "
                        + "%d s after a 2 s warm-up%n%n",
                BenchDriver.SLICES,
                options.seconds / (double) BenchDriver.SLICES,
                options.warmupSeconds,
                3 * options.warmupSeconds,
                options.rate > 0
                        ? trim(options.rate) + " fps per stream"
                        : "2 fps per stream or 70% of the measured maximum where that is less",
                options.latencySeconds);
        out.println("| streams | frames/s | (slices) | windows/s | 2-fps cameras | latency load | p50 ms | p99 ms "
                + "| windows |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (final BenchResult r : results) {
            final String load = String.format(
                    Locale.ROOT,
                    "%s fps (%s/stream%s)%s",
                    trim(r.offered),
                    trim(r.perStream),
                    options.rate <= 0 && r.perStream < 2.0 ? ", 70% of max" : "",
                    r.overloaded ? " over capacity" : "");
            out.printf(
                    Locale.ROOT,
                    "| %d | %.1f | %.0f-%.0f | %.1f | %d | %s | %.0f | %.0f | %d |%n",
                    r.streams,
                    r.framesPerSecond,
                    r.frameRange[0],
                    r.frameRange[1],
                    r.windowsPerSecond,
                    (long) Math.floor(r.framesPerSecond / 2),
                    load,
                    r.p50,
                    r.p99,
                    r.latencyWindows);
        }
        out.println();
        out.printf(
                Locale.ROOT,
                "CPU in the throughput phase: the machine's busy cores (of %d), and this JVM's CPU "
                        + "time per frame processed, by part:%n%n",
                Runtime.getRuntime().availableProcessors());
        out.println("| streams | machine cores | other processes | JVM ms/frame | stream threads | (compressor "
                + "compute) | app client I/O | broker | bench producer + reader | GC, JIT, RocksDB native |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        double worstOther = 0;
        for (final BenchResult r : results) {
            final CpuSnapshot c = r.cpu;
            final double other = c.machineCores() - c.cores(c.processNanos);
            if (!Double.isNaN(other)) {
                worstOther = Math.max(worstOther, other);
            }
            final double frames = r.cpuFrames;
            out.printf(
                    Locale.ROOT,
                    "| %d | %s | %s | %.1f | %.1f | (%.1f) | %.1f | %.1f | %.1f | %.1f |%n",
                    r.streams,
                    num(c.machineCores()),
                    num(Math.max(0, other)),
                    c.processNanos / 1e6 / frames,
                    c.get(Category.STREAM) / 1e6 / frames,
                    r.computeMsPerFrame,
                    c.get(Category.APP_IO) / 1e6 / frames,
                    c.get(Category.BROKER) / 1e6 / frames,
                    c.get(Category.BENCH) / 1e6 / frames,
                    (c.processNanos - c.threadTotal()) / 1e6 / frames);
        }
        if (results.stream().anyMatch(r -> !r.kbPerFrame.isEmpty())) {
            final List<String> parts = List.of(
                    "tokens",
                    "frame-store changelog",
                    "windows",
                    "latest-window changelog",
                    "stream-state changelog",
                    "other");
            out.println();
            out.println("Bytes the broker took in per frame processed (KB; BrokerTopicMetrics BytesIn):");
            out.println();
            out.println("| streams | " + String.join(" | ", parts) + " | total |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (final BenchResult r : results) {
                final StringBuilder row = new StringBuilder("| " + r.streams + " |");
                double total = 0;
                for (final String part : parts) {
                    final double kb = r.kbPerFrame.getOrDefault(part, 0.0);
                    total += kb;
                    row.append(String.format(Locale.ROOT, " %.1f |", kb));
                }
                out.println(row.append(String.format(Locale.ROOT, " %.1f |", total)));
            }
        }
        if (results.stream().anyMatch(r -> !r.samples.isEmpty())) {
            out.println();
            out.printf(
                    Locale.ROOT,
                    "Heap and state over time (every %d s; heap after GC = live data after the last "
                            + "collection; state = the application's state directory, RocksDB included; p99 = windows "
                            + "measured since the previous sample):%n%n",
                    options.sampleSeconds);
            out.println("| streams | t s | phase | frames/s | heap used MB | heap after GC MB | state MB | p99 ms |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (final BenchResult r : results) {
                for (final ResourceSampler.Sample x : r.samples) {
                    out.printf(
                            Locale.ROOT,
                            "| %d | %.0f | %s | %.1f | %s | %s | %s | %s |%n",
                            r.streams,
                            x.seconds(),
                            x.phase(),
                            x.framesPerSecond(),
                            mb(x.heapUsedBytes()),
                            mb(x.heapAfterGcBytes()),
                            mb(x.stateBytes()),
                            Double.isNaN(x.p99Ms()) ? "-" : String.format(Locale.ROOT, "%.0f", x.p99Ms()));
                }
            }
        }
        out.println();
        out.println("frames/s, windows/s: token records the application processed and committed windows the reader "
                + "received, per second. 2-fps cameras = frames/s / 2 at saturation. ms/frame: CPU time over the "
                + "measurement / frames processed in it. compressor compute: the windows' stats.computeMicros per "
                + "frame (wall time inside the compressor, within the stream threads). machine: busy cores of all "
                + "processes (/proc/stat); other processes = machine - this JVM.");
        if (!"1".equals(System.getenv("OPENBLAS_NUM_THREADS"))
                && Scissor.blasImplementation().contains("JNI")) {
            out.println("note: OPENBLAS_NUM_THREADS is not 1: OpenBLAS's own threads spin on the cores the broker "
                    + "and the stream threads need; run with OPENBLAS_NUM_THREADS=1 (on the 2-core build machine it "
                    + "cut the CPU per frame by a third).");
        }
        if (worstOther > 0.25) {
            out.printf(
                    Locale.ROOT,
                    "note: other processes used up to %.2f cores during the measurements: this "
                            + "machine was shared, so the figures are lower than on an idle machine.%n",
                    worstOther);
        }
    }

    private static String mb(final long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", bytes / 1048576.0);
    }

    private static String num(final double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String cpuModel() {
        try {
            for (final String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return " (" + line.substring(line.indexOf(':') + 1).trim() + ")";
                }
            }
        } catch (final IOException | RuntimeException e) {
            // not Linux: no model line
        }
        return "";
    }

    private static String trim(final double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
