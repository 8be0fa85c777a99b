package dev.scissor.bench;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.testkit.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code scissor bench-streams}: the frames per second the compressor application sustains on this
 * machine, through a real (in-process KRaft) broker, and the end-to-end latency of a window.
 *
 * <p>One JVM holds the broker, one {@link CompressorApp} (exactly_once_v2, commit.interval.ms 100)
 * and the benchmark's producer and {@code read_committed} reader, so all of them share this
 * machine's cores, as they would on a single-box deployment. For each stream count N a fresh
 * application id and fresh topics are used, so cases do not interfere. Each case has two phases:
 *
 * <ol>
 *   <li><b>Throughput</b>: the producer keeps a bounded backlog of frames ahead of the application
 *       (saturation without an unbounded topic), round-robin over the N streams; after a warm-up,
 *       frames/s is the application's processed-record count per second and windows/s the windows
 *       the reader receives per second, each the median over several equal slices of the phase.
 *   <li><b>Latency</b>: after the backlog drains, the producer paces frames at a sustainable rate
 *       per stream: 2 fps (video LLMs sample at 2 fps), or 70% of the measured maximum spread over
 *       the streams where 2 fps per stream would be more than that, or {@code --rate}. Latency is the
 *       time from a token record's CreateTime (set by the producer at send, and copied by the
 *       compressor onto the window it triggers) to the moment the reader receives the committed
 *       window.
 * </ol>
 *
 * <p>Throughout each case a {@link ResourceSampler} records, every {@code --sample-seconds}, the heap (used, and
 * live after the last collection), the application's state directory size (RocksDB) and the p99 latency since the
 * previous sample; {@code --minutes M} makes the paced phase a long run of M minutes to watch them for growth.
 *
 * <p>Frames are real-sized (14 x 14 tokens of dim 816, float32: 627 KB per record) from the
 * realistic golden video when {@code ../shared/golden} is present (else a synthetic video), played
 * forwards and backwards so consecutive frames stay a plausible video, and pre-encoded: per record
 * only the small Avro head (stream id, sequence, timestamps) is serialized and spliced in front of
 * the pre-encoded tensor, so the producer is not the bottleneck.
 */
public final class StreamsBench {

    private final StreamsBenchOptions options;
    private final PrintStream out;
    private final PrintStream err;
    private final BenchFrames frames;

    private StreamsBench(
            final StreamsBenchOptions options, final BenchFrames frames, final PrintStream out, final PrintStream err) {
        this.options = options;
        this.frames = frames;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the benchmark from the command line.
     *
     * @param args see {@link #run}
     */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the benchmark.
     *
     * @param args the options, see {@code --help}
     * @param out the report
     * @param err progress and errors
     * @return 0 when done, 1 when the benchmark failed (broker, application, dead letters), 2 for bad
     *     arguments
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new StreamsBenchOptions(out, err), args, out, err);
    }

    /**
     * Runs the benchmark with checked options (what {@link StreamsBenchOptions#call} ends in).
     *
     * @param options the options
     * @param out the report
     * @param err progress and errors
     * @return as {@link #run(String[], PrintStream, PrintStream)}
     */
    static int run(final StreamsBenchOptions options, final PrintStream out, final PrintStream err) {
        try {
            // Validate the application settings once, before anything starts.
            new CompressorConfig(options.appSettings(
                    "localhost:9092", "probe", "probe-tokens", "probe-windows", "probe-dlq", Paths.get(".")));
        } catch (final ConfigException e) {
            err.println("scissor bench-streams: " + e.getMessage()
                    + "\n(run 'scissor compressor --describe-config' for every setting)");
            return 2;
        }
        AvroTrust.trustGeneratedClasses();
        final BenchFrames frames;
        try {
            if (options.dim < 1
                    || options.dim > 8192
                    || !List.of("float32", "float16").contains(options.dtype)) {
                err.println("scissor bench-streams: --dim must be in 1..8192 and --dtype float32 or float16");
                return 2;
            }
            frames = BenchFrames.load(
                    options.synthetic,
                    options.dim,
                    "float16".equals(options.dtype)
                            ? dev.scissor.schemas.avro.TokenDtype.FLOAT16
                            : dev.scissor.schemas.avro.TokenDtype.FLOAT32);
        } catch (final IOException | RuntimeException e) {
            err.println("scissor bench-streams: could not prepare the token frames: " + e);
            return 1;
        }
        // Ctrl-C interrupts the run, which then closes the application and the broker and deletes their
        // data (gigabytes under the temporary directory) before the JVM exits.
        final Thread caller = Thread.currentThread();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread hook = new Thread(
                () -> {
                    caller.interrupt();
                    try {
                        done.await(60, TimeUnit.SECONDS);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "scissor-bench-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return new StreamsBench(options, frames, out, err).runAll();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("scissor bench-streams: interrupted");
            return 1;
        } catch (final RuntimeException e) {
            err.println("scissor bench-streams: failed: " + e);
            return 1;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is running and waits for this cleanup
            }
        }
    }

    private int runAll() throws InterruptedException {
        final long perCase = options.warmupSeconds + options.seconds + options.latencySeconds + 2 + 12;
        err.printf(
                Locale.ROOT,
                "bench-streams: %d case(s) %s, about %d s in all; frames from %s%n",
                options.streams.length,
                Arrays.toString(options.streams),
                perCase * options.streams.length + 2L * options.warmupSeconds,
                frames.source);
        final List<BenchResult> results = new ArrayList<>();
        // Segments roll (and the log cleaner compacts the changelogs) as they would in steady state, and
        // retention checks run often, so that the disk holds only a few GB however long the run.
        final Map<String, String> broker =
                Map.of("log.segment.bytes", Integer.toString(64 << 20), "log.retention.check.interval.ms", "5000");
        final BenchCase cases = new BenchCase(options, frames, err);
        try (EmbeddedKafka kafka = startBroker(broker)) {
            for (int c = 0; c < options.streams.length; c++) {
                // The first case also warms the JVM up: the JIT compiles the broker, clients and compressor.
                final int warmup = c == 0 ? 3 * options.warmupSeconds : options.warmupSeconds;
                final BenchResult r = cases.run(kafka, options.streams[c], c, warmup);
                if (r.deadLetters > 0) {
                    err.printf(
                            "bench-streams: %d dead letter(s) with %d streams: the benchmark's frames were "
                                    + "rejected; see the log above%n",
                            r.deadLetters, r.streams);
                    return 1;
                }
                results.add(r);
            }
        }
        new BenchReport(options, frames, out).print(results);
        return 0;
    }

    /** Starts the broker; the test kit's start-up lines on standard output go to standard error. */
    private static EmbeddedKafka startBroker(final Map<String, String> config) {
        final PrintStream stdout = System.out;
        System.setOut(System.err);
        try {
            return EmbeddedKafka.start(config);
        } finally {
            System.setOut(stdout);
        }
    }
}
