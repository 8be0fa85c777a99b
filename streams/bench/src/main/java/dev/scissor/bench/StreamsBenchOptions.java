package dev.scissor.bench;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.cli.CommandLines.KeyValue;
import dev.scissor.streams.CompressorConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code bench-streams} command line: its options, once {@link #call} checked them and applied {@code --quick}
 * and {@code --minutes}; {@link #call} then runs {@link StreamsBench}.
 */
@Command(
        name = "bench-streams",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "frames/s and window latency of the Kafka Streams compressor through a broker",
            "",
            "Runs an in-process KRaft broker and the compressor application in this JVM (exactly_once_v2,",
            "commit.interval.ms=100), and for each stream count N measures:",
            "  throughput  frames/s and windows/s with the application saturated (the producer keeps a",
            "              bounded backlog ahead of it), medians of " + BenchDriver.SLICES + " slices after a warm-up",
            "  latency     p50/p99 from a token record's CreateTime to its window reaching a",
            "              read_committed consumer, at a sustainable load: 2 fps per stream, or 70%% of",
            "              the measured maximum where that is less (or --rate)",
            "Frames: 14x14 tokens of dim 816 (float32, 627 KB a record).",
            ""
        },
        footer = {"", "Progress goes to stderr, the report (Markdown tables) to stdout."})
final class StreamsBenchOptions implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Option(
            names = "--streams",
            paramLabel = "N",
            split = ",",
            description = "stream counts to run, comma-separated (default 1,8,32)")
    int[] streams = {1, 8, 32};

    @Option(names = "--seconds", paramLabel = "S", description = "throughput measurement per case (default 30)")
    int seconds = 30;

    @Option(
            names = "--warmup",
            paramLabel = "S",
            description = "warm-up before the throughput measurement (default 15; the first case warms up 3x as "
                    + "long, while the JVM compiles broker and app)")
    int warmupSeconds = 15;

    @Option(
            names = "--latency-seconds",
            paramLabel = "S",
            description = "latency measurement per case (default 30, after a 2 s warm-up)")
    int latencySeconds = 30;

    @Option(names = "--window", paramLabel = "W", description = "window in frames (default 16)")
    int window = 16;

    @Option(names = "--hop", paramLabel = "H", description = "hop in frames (default 4)")
    int hop = 4;

    /** Frames/s per stream in the latency phase; 0 = 2 fps capped at 70% of the measured maximum. */
    @Option(
            names = "--rate",
            paramLabel = "FPS",
            converter = CommandLines.FiniteDouble.class,
            description = "frames/s per stream in the latency phase, fixed (default: 2, capped at 70%% of the "
                    + "measured maximum)")
    double rate;

    @Option(
            names = "--threads",
            paramLabel = "T",
            description = "num.stream.threads of the application (default 1: best on 2 cores)")
    int threads = 1;

    @Option(
            names = "--partitions",
            paramLabel = "P",
            description = "partitions of the tokens/windows/dlq topics (default 8)")
    int partitions = 8;

    @Option(
            names = "--compression",
            paramLabel = "none|gzip|snappy|lz4|zstd",
            description = "the benchmark producer's compression.type (default none)")
    String compression = "none";

    @Option(names = "--synthetic", description = "a synthetic video instead of the realistic golden one")
    boolean synthetic;

    @Option(
            names = "--dim",
            paramLabel = "D",
            description = "token dimension of the frames (default 816; others map the 816-dim frames by a fixed "
                    + "random matrix, e.g. 896 or 3584 for LLaVA-OneVision 0.5B / 7B)")
    int dim = BenchFrames.SOURCE_DIM;

    @Option(
            names = "--dtype",
            paramLabel = "float32|float16",
            description = "element type of the token records (default float32)")
    String dtype = "float32";

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            converter = KeyValue.Converter.class,
            description = "a Kafka Streams or scissor.* setting of the application; repeatable")
    private List<KeyValue> sets = new ArrayList<>();

    @Option(names = "--quick", description = "--streams 1,8 --warmup 3 --seconds 5 --latency-seconds 6")
    private boolean quick;

    @Option(
            names = "--minutes",
            paramLabel = "M",
            description = "a long run: --streams 32 --warmup 5 --seconds 10, then the paced (latency) phase for "
                    + "M minutes; watch heap and state size over time")
    private Integer minutes;

    /** Seconds between heap and state-directory samples. */
    @Option(
            names = "--sample-seconds",
            paramLabel = "S",
            description = "every S seconds (default 10): heap used and after the last GC, the state directory's "
                    + "size on disk, frames, windows and the p99 of the windows measured since the last sample")
    int sampleSeconds = 10;

    final Map<String, Object> extra = new LinkedHashMap<>();

    private final PrintStream out;
    private final PrintStream err;

    StreamsBenchOptions(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        for (final int n : streams) {
            atLeast(n, 1, "--streams");
        }
        atLeast(seconds, 1, "--seconds");
        atLeast(warmupSeconds, 0, "--warmup");
        atLeast(latencySeconds, 1, "--latency-seconds");
        atLeast(window, 1, "--window");
        atLeast(hop, 1, "--hop");
        atLeast(threads, 1, "--threads");
        atLeast(partitions, 1, "--partitions");
        atLeast(sampleSeconds, 1, "--sample-seconds");
        if (given("--rate") && !(rate > 0)) {
            throw CommandLines.usage(spec.commandLine(), "--rate must be positive, got %s", rate);
        }
        if (!List.of("none", "gzip", "snappy", "lz4", "zstd").contains(compression)) {
            throw CommandLines.usage(
                    spec.commandLine(),
                    "--compression takes none, gzip, snappy, lz4 or zstd, " + "got '%s'",
                    compression);
        }
        sets.forEach(kv -> extra.put(kv.key(), kv.value()));
        if (quick) {
            streams = given("--streams") ? streams : new int[] {1, 8};
            seconds = given("--seconds") ? seconds : 5;
            warmupSeconds = given("--warmup") ? warmupSeconds : 3;
            latencySeconds = given("--latency-seconds") ? latencySeconds : 6;
        }
        if (minutes != null) {
            atLeast(minutes, 1, "--minutes");
            if (given("--latency-seconds")) {
                throw CommandLines.usage(
                        spec.commandLine(), "--minutes sets the paced phase; leave out --latency-seconds");
            }
            // A long run: a short throughput phase, then the paced phase for the given minutes.
            streams = given("--streams") ? streams : new int[] {32};
            seconds = given("--seconds") ? seconds : 10;
            warmupSeconds = given("--warmup") ? warmupSeconds : 5;
            latencySeconds = 60 * minutes;
        }
        if (seconds < BenchDriver.SLICES) {
            throw CommandLines.usage(
                    spec.commandLine(), "--seconds must be at least %d (one per slice)", BenchDriver.SLICES);
        }
        return StreamsBench.run(this, out, err);
    }

    private boolean given(final String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private void atLeast(final int value, final int min, final String option) {
        if (value < min) {
            throw CommandLines.usage(spec.commandLine(), "%s must be at least %d, got %d", option, min, value);
        }
    }

    /** The application's settings for one case. */
    Map<String, Object> appSettings(
            final String bootstrap,
            final String appId,
            final String tokens,
            final String windows,
            final String dlq,
            final Path stateDir) {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        s.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        s.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        s.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        s.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        s.put(CompressorConfig.TOKENS_TOPIC, tokens);
        s.put(CompressorConfig.WINDOWS_TOPIC, windows);
        s.put(CompressorConfig.DLQ_TOPIC, dlq);
        s.put(CompressorConfig.WINDOW_FRAMES, window);
        s.put(CompressorConfig.HOP_FRAMES, hop);
        s.putAll(extra);
        return s;
    }
}
