package dev.scissor.compressor.bench;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.SlidingWindow;
import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.Refinement;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scissor bench}: the compressor on a window of real tokens against this machine's sgemm,
 * measured in one run. Every stage time is a median over repeats after JIT warm-up. A stage's floor
 * is the FLOPs of its similarity products divided by the sgemm rate at 2048^3 measured in the same
 * run; its ratio is median / floor.
 *
 * <p>FLOPs count what a stage must multiply at least: a symmetric product (spatial N x N per frame,
 * temporal S x S per window) its lower triangle, n (n + 1) d; the merge 2 (T N) M d; refined mode
 * adds its {@link Refinement#LLOYD_STEPS} assignment products over all tokens, 2 (T N) K d each
 * (the split steps, data-dependent, are left out). The incremental hop's floor is one new frame's
 * share: its spatial product, its spatial tokens against the window's, and the merge of its N
 * tokens (plus the refinement in refined mode, which is recomputed per emit).
 */
public final class CompressorBench {

    // Warm-up before a stage is timed, in runs and time: the emit path is compiled after about ten
    // windows, and while the heap still grows, first touches of fresh memory slow a stage by up to half.
    private static final int WARMUP_RUNS = 12;
    private static final long WARMUP_NANOS = 1_000_000_000L;
    private static final int SGEMM_MAX = 2048;

    /** One measured stage. */
    record Stage(String name, String shape, double medianMs, double flops, double floorMs, long allocBytes) {

        double ratio() {
            return medianMs / floorMs;
        }
    }

    /** What one run measured. */
    record Report(String blas, double sgemmGflops, int sgemmSize, String source, List<Stage> stages) {}

    private CompressorBench() {}

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
     * @param args {@code [--tokens V.npy] [--retention R | --budget K] [--mode classic|refined] [--tau T]
     *     [--json OUT.json] [--frames T] [--project D] [--sgemm S] [--repeats R | --quick]}
     * @param out the report
     * @param err errors
     * @return exit code: 0, or 2 for bad arguments or an unreadable dump
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new BenchCommand(out, err), args, out, err);
    }

    /** The {@code scissor bench} command line. */
    @Command(
            name = "bench",
            sortOptions = false,
            sortSynopsis = false,
            description = {"benchmark the compressor against OpenBLAS sgemm on this machine", ""},
            footer = {
                "",
                "Stages: whole_window (batch compression of T frames), incremental_hop (one push of a W=T, H=1",
                "window, which emits) and full_recompute (a fresh window of the same T frames); each against its",
                "FLOP floor at the sgemm rate measured in the same run (S x S x S)."
            })
    public static final class BenchCommand implements Callable<Integer> {

        @Option(
                names = {"-h", "--help"},
                usageHelp = true,
                description = "print this help and exit")
        private boolean help;

        @Option(
                names = "--tokens",
                paramLabel = "V.npy",
                description = "a [T, N, D] float16 or float32 token dump (.npy, or an .npz of one array); default: "
                        + "40 frames of vtest.avi through the default encoder")
        private String tokens;

        @Option(
                names = "--retention",
                paramLabel = "R",
                converter = CommandLines.FiniteDouble.class,
                description = "budget mode: keep round(R * T * N) tokens per window")
        private Double retention;

        @Option(names = "--budget", paramLabel = "K", description = "budget mode: keep exactly K tokens per window")
        private Integer budget;

        @Option(names = "--mode", paramLabel = "classic|refined", description = "classic (default) or refined")
        private String mode = "classic";

        @Option(
                names = "--tau",
                paramLabel = "T",
                converter = CommandLines.FiniteDouble.class,
                description = "similarity threshold (default 0.9)")
        private Double tau;

        @Option(names = "--json", paramLabel = "OUT.json", description = "also write the figures as JSON")
        private String json;

        @Option(
                names = "--frames",
                paramLabel = "T",
                description = "window frames (default: 32, at most the dump's frame count; frames cycle)")
        private Integer frames;

        @Option(
                names = "--project",
                paramLabel = "D",
                description = "project the tokens to D dims by a fixed random matrix first (labelled as such)")
        private Integer project;

        @Option(
                names = "--sgemm",
                paramLabel = "S",
                description = "the floors' sgemm shape S x S x S (default 2048, smaller when the heap is small)")
        private Integer sgemm;

        @Option(names = "--repeats", paramLabel = "R", description = "timed repeats per stage (default 15)")
        private int repeats = 15;

        @Option(names = "--quick", description = "5 repeats")
        private boolean quick;

        @picocli.CommandLine.Spec
        private picocli.CommandLine.Model.CommandSpec spec;

        private final PrintStream out;
        private final PrintStream err;

        /**
         * A command that reports to {@code out}.
         *
         * @param out the report
         * @param err errors
         */
        public BenchCommand(final PrintStream out, final PrintStream err) {
            this.out = out;
            this.err = err;
        }

        @Override
        public Integer call() {
            final ScissorParams params;
            try {
                if (retention != null && budget != null) {
                    throw new IllegalArgumentException("give --retention or --budget, not both");
                }
                if ((frames != null && frames < 1)
                        || (project != null && project < 1)
                        || repeats < 1
                        || (sgemm != null && sgemm < 1)) {
                    throw new IllegalArgumentException("--frames, --project, --sgemm and --repeats must be positive");
                }
                ScissorParams p = ScissorParams.defaults();
                if (tau != null) {
                    p = p.withTau(tau);
                }
                final ScissorParams.Budget b = retention != null
                        ? ScissorParams.Budget.retention(retention)
                        : budget != null ? ScissorParams.Budget.tokens(budget) : null;
                params = p.withBudget(b).withMode(ScissorParams.Mode.parse(mode));
            } catch (final IllegalArgumentException e) {
                throw CommandLines.usage(spec.commandLine(), "%s", e.getMessage());
            }
            BenchVideo video;
            try {
                video = BenchVideo.load(tokens);
                if (project != null) {
                    video = video.project(project);
                }
            } catch (final IOException | IllegalArgumentException e) {
                err.println("scissor bench: " + e.getMessage());
                return 2;
            }
            final int t = frames != null ? frames : Math.min(32, video.frames());
            final int r = quick ? 5 : repeats;
            final Report report = measure(video, params, t, r, sgemm != null ? sgemm : sgemmSize());
            print(report, params, t, r, out);
            if (json != null) {
                try {
                    Files.writeString(Path.of(json), json(report), StandardCharsets.UTF_8);
                } catch (final IOException e) {
                    err.println("scissor bench: cannot write " + json + ": " + e.getMessage());
                    return 2;
                }
            }
            return 0;
        }
    }

    /** Measures sgemm at {@code sgemmSize}^3, then the three window stages, on T-frame windows of a video. */
    static Report measure(
            final BenchVideo video, final ScissorParams params, final int t, final int repeats, final int sgemmSize) {
        final double rate = sgemm(sgemmSize, Math.min(repeats, 7));
        final int n = video.n();
        final int d = video.dim();
        final List<Stage> stages = new ArrayList<>();

        final double[] batch = new double[repeats];
        final long[] batchAlloc = new long[repeats];
        warmUp(() -> window(video, params, t, 0));
        WindowResult last = null;
        for (int r = 0; r < repeats; r++) {
            final long a0 = allocated();
            final long s = System.nanoTime();
            last = window(video, params, t, 0);
            batch[r] = System.nanoTime() - s;
            batchAlloc[r] = allocated() - a0;
        }
        final double wholeFlops = windowFlops(last, params, n, d);
        stages.add(stage("whole_window", shape(t, n, d, last), batch, wholeFlops, rate, batchAlloc));

        // Incremental hop: a W=T, H=1 window that has slid past its first emit; every push emits.
        final SlidingWindow live = new SlidingWindow(params, SampleOrders.seeded(0), n, d, video.gridWidth(), t, 1);
        final long[] next = {0};
        final WindowResult[] hopResult = new WindowResult[1];
        final Runnable push = () -> {
            hopResult[0] = live.push(next[0], video.tokens(), video.offset(next[0]));
            next[0]++;
        };
        for (int f = 0; f < t; f++) {
            push.run();
        }
        warmUp(push);
        final double[] hop = new double[repeats];
        final long[] hopAlloc = new long[repeats];
        double hopFlops = 0;
        for (int r = 0; r < repeats; r++) {
            final long a0 = allocated();
            final long s = System.nanoTime();
            push.run();
            hop[r] = System.nanoTime() - s;
            hopAlloc[r] = allocated() - a0;
            hopFlops += hopFlops(hopResult[0], params, n, d) / repeats;
        }
        stages.add(stage("incremental_hop", shape(t, n, d, hopResult[0]) + " H=1", hop, hopFlops, rate, hopAlloc));

        // Full recompute: a fresh window of the frames the live window holds now.
        final long first = next[0] - t;
        final double[] full = new double[repeats];
        final long[] fullAlloc = new long[repeats];
        warmUp(() -> window(video, params, t, first));
        WindowResult fresh = null;
        for (int r = 0; r < repeats; r++) {
            final long a0 = allocated();
            final long s = System.nanoTime();
            fresh = window(video, params, t, first);
            full[r] = System.nanoTime() - s;
            fullAlloc[r] = allocated() - a0;
        }
        stages.add(stage(
                "full_recompute", shape(t, n, d, fresh), full, windowFlops(fresh, params, n, d), rate, fullAlloc));
        return new Report(Gemm.implementation(), rate / 1e9, sgemmSize, video.source(), stages);
    }

    /** A fresh W=T window fed frames first .. first+T-1 (cycled), emitted once. */
    private static WindowResult window(
            final BenchVideo video, final ScissorParams params, final int t, final long first) {
        final SlidingWindow w =
                new SlidingWindow(params, SampleOrders.seeded(0), video.n(), video.dim(), video.gridWidth(), t, t);
        WindowResult out = null;
        for (long f = first; f < first + t; f++) {
            final WindowResult r = w.push(f, video.tokens(), video.offset(f));
            if (r != null) {
                out = r;
            }
        }
        return out;
    }

    private static String shape(final int t, final int n, final int d, final WindowResult r) {
        return String.format(Locale.ROOT, "T=%d N=%d D=%d S=%d M=%d", t, n, d, r.spatialTokens(), r.tokenCount());
    }

    /** Similarity-product FLOPs of a batch window (see the class comment). */
    static double windowFlops(final WindowResult r, final ScissorParams params, final int n, final int d) {
        final double rows = r.inputTokens();
        final double s = r.spatialTokens();
        final double spatial = r.frames() * (double) n * (n + 1) * d;
        final double temporal = s * (s + 1) * d;
        return spatial + temporal + 2.0 * rows * mergeColumns(r, params, s) * d + refinement(r, params, d);
    }

    /** Similarity-product FLOPs a hop must do at least: the newest frame's share (class comment). */
    static double hopFlops(final WindowResult r, final ScissorParams params, final int n, final int d) {
        final int[] counts = r.spatialCounts();
        final double sNew = counts[counts.length - 1];
        final double s = r.spatialTokens();
        final double spatial = (double) n * (n + 1) * d;
        final double temporal = 2.0 * sNew * (s - sNew) * d + sNew * (sNew + 1) * d;
        return spatial + temporal + 2.0 * n * mergeColumns(r, params, s) * d + refinement(r, params, d);
    }

    /** Columns of the classic merge: M, or in refined mode the classic step's max(1, K / 2). */
    private static double mergeColumns(final WindowResult r, final ScissorParams params, final double s) {
        if (params.mode() != ScissorParams.Mode.REFINED) {
            return r.tokenCount();
        }
        final int k = params.budget().tokensFor(r.inputTokens());
        return Math.min(Math.max(1, k / 2), s);
    }

    private static double refinement(final WindowResult r, final ScissorParams params, final int d) {
        return params.mode() == ScissorParams.Mode.REFINED
                ? Refinement.lloydSteps(r.inputTokens(), r.tokenCount()) * 2.0 * r.inputTokens() * r.tokenCount() * d
                : 0.0;
    }

    private static Stage stage(
            final String name,
            final String shape,
            final double[] nanos,
            final double flops,
            final double rate,
            final long[] alloc) {
        final long[] a = alloc.clone();
        Arrays.sort(a);
        return new Stage(name, shape, median(nanos) / 1e6, flops, flops / rate * 1e3, a[a.length / 2]);
    }

    private static void print(
            final Report r, final ScissorParams p, final int t, final int repeats, final PrintStream out) {
        out.printf(
                Locale.ROOT,
                "BLAS: %s, OPENBLAS_NUM_THREADS=%s, cores=%d, java %s%n",
                r.blas(),
                System.getenv().getOrDefault("OPENBLAS_NUM_THREADS", "(unset)"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        out.printf(Locale.ROOT, "tokens: %s%n", r.source());
        out.printf(
                Locale.ROOT,
                "mode: %s, tau %s, %s; T=%d; medians of %d repeats after warm-up%n",
                p.mode().name().toLowerCase(Locale.ROOT),
                p.tau(),
                p.budget() == null
                        ? "threshold"
                        : p.budget().tokens() != 0
                                ? "budget K=" + p.budget().tokens()
                                : "budget retention " + p.budget().retention(),
                t,
                repeats);
        out.printf(
                Locale.ROOT,
                "sgemm %dx%dx%d: %.1f GFLOP/s (the floors' rate)%n%n",
                r.sgemmSize(),
                r.sgemmSize(),
                r.sgemmSize(),
                r.sgemmGflops());
        out.println("| stage | shape | median | GFLOP | floor | ratio | allocated |");
        out.println("|---|---|---|---|---|---|---|");
        for (final Stage s : r.stages()) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %.2f ms | %.2f | %.2f ms | %.2fx | %.1f MB |%n",
                    s.name(),
                    s.shape(),
                    s.medianMs(),
                    s.flops() / 1e9,
                    s.floorMs(),
                    s.ratio(),
                    s.allocBytes() / 1e6);
        }
        final double hop = r.stages().get(1).medianMs();
        final double full = r.stages().get(2).medianMs();
        out.printf(
                Locale.ROOT, "%nincremental hop is %.1fx cheaper than a full recompute (W=%d, H=1)%n", full / hop, t);
    }

    static String json(final Report r) {
        final StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "{\"sgemm_gflops\": %s, \"sgemm_shape\": \"%dx%dx%d\", \"blas\": \"%s\", "
                        + "\"tokens\": \"%s\", \"stages\": [",
                r.sgemmGflops(),
                r.sgemmSize(),
                r.sgemmSize(),
                r.sgemmSize(),
                escape(r.blas()),
                escape(r.source())));
        for (int i = 0; i < r.stages().size(); i++) {
            final Stage s = r.stages().get(i);
            b.append(i == 0 ? "\n  " : ",\n  ")
                    .append(String.format(
                            Locale.ROOT,
                            "{\"name\": \"%s\", \"shape\": \"%s\", \"median_ms\": %s, \"flops\": %.0f, \"floor_ms\": %s, "
                                    + "\"ratio\": %s, \"alloc_bytes\": %d}",
                            s.name(),
                            escape(s.shape()),
                            s.medianMs(),
                            s.flops(),
                            s.floorMs(),
                            s.ratio(),
                            s.allocBytes()));
        }
        return b.append("\n]}\n").toString();
    }

    private static String escape(final String s) {
        final StringBuilder b = new StringBuilder();
        for (final char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Runs {@code step} at least {@link #WARMUP_RUNS} times and for at least {@link #WARMUP_NANOS}. */
    private static void warmUp(final Runnable step) {
        final long until = System.nanoTime() + WARMUP_NANOS;
        for (int i = 0; i < WARMUP_RUNS || System.nanoTime() < until; i++) {
            step.run();
        }
    }

    /** Bytes this thread has allocated so far (0 where the JVM does not say). */
    private static long allocated() {
        final var bean = ManagementFactory.getThreadMXBean();
        return bean instanceof com.sun.management.ThreadMXBean b ? Math.max(0, b.getCurrentThreadAllocatedBytes()) : 0;
    }

    /** 2048, or the largest power-of-two square whose three matrices take at most an eighth of the heap. */
    private static int sgemmSize() {
        int s = SGEMM_MAX;
        while (s > 256 && 3L * s * s * Float.BYTES > Runtime.getRuntime().maxMemory() / 8) {
            s /= 2;
        }
        return s;
    }

    /** sgemm FLOP/s at s x s x s, the median of {@code repeats} after warm-up. */
    private static double sgemm(final int s, final int repeats) {
        final SplittableRandom rnd = new SplittableRandom(s);
        final float[] a = new float[s * s];
        final float[] b = new float[s * s];
        final float[] c = new float[s * s];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        final double[] t = new double[repeats];
        for (int r = -2; r < repeats; r++) {
            final long start = System.nanoTime();
            Gemm.abt(s, s, s, a, 0, s, b, 0, s, c, 0, s);
            if (r >= 0) {
                t[r] = System.nanoTime() - start;
            }
        }
        return 2.0 * s * s * s / (median(t) / 1e9);
    }

    private static double median(final double[] v) {
        final double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
