package dev.scissor.compressor.bench;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.SlidingWindow;
import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.SpatialScc;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scissor bench}: the compressor's stages against OpenBLAS sgemm, measured in one run on this
 * machine. Every figure is a median over repeats after warm-up; GFLOP/s count the similarity
 * products (2 m n k per product) of each stage, and "of sgemm" divides by the sgemm rate measured
 * just before at the stage's dominant product shape.
 */
public final class CompressorBench {

    private static final int N = 196;
    private static final int GRID = 14;
    // Warm-up before a window stage is timed, in windows and time: the emit path runs once per
    // window and is compiled after about ten; and while the heap still grows, the first touches of
    // fresh heap memory slow a stage by up to half.
    private static final int WARMUP_WINDOWS = 12;
    private static final long WARMUP_NANOS = 1_000_000_000L;

    private CompressorBench() {
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
     * @param args the options, see {@link BenchCommand}
     * @param out the report
     * @param err errors
     * @return exit code
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new BenchCommand(out, err), args, out, err);
    }

    /** The {@code scissor bench} command line. */
    @Command(name = "bench", sortOptions = false, sortSynopsis = false,
            description = {"benchmark the compressor against OpenBLAS sgemm on this machine",
                "",
                "Times spatial SCC, the temporal and merge steps, whole windows and the incremental hop, each "
                    + "against the sgemm rate at its dominant product shape, measured just before; medians after "
                    + "warm-up.",
                ""})
    public static final class BenchCommand implements Callable<Integer> {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        private boolean help;

        @Option(names = "--repeats", paramLabel = "R", description = "repeats of each measurement (default 15)")
        private int repeats = 15;

        @Option(names = "--quick", description = "5 repeats")
        private boolean quick;

        @Option(names = "--tokens", paramLabel = "VIDEO.npy",
                description = "a [T, 196, 816] float token dump for the window stages (default: the realistic "
                        + "golden input in ../shared/golden, else a synthetic video)")
        private String tokens;

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
            final float[] video;
            final String source;
            try {
                final BenchVideo v = BenchVideo.load(tokens, 816);
                video = v.tokens();
                source = v.source();
            } catch (final java.io.IOException | IllegalArgumentException e) {
                err.println("scissor bench: " + e.getMessage());
                return 2;
            }
            new CompressorBench().report(quick ? 5 : repeats, video, source, out);
            return 0;
        }
    }

    private void report(final int repeats, final float[] video, final String source, final PrintStream out) {
        final int cycle = video.length / (N * 816);
        out.printf(Locale.ROOT, "BLAS: %s, OPENBLAS_NUM_THREADS=%s, cores=%d, java %s%n", Gemm.implementation(),
                System.getenv().getOrDefault("OPENBLAS_NUM_THREADS", "(unset)"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        out.printf(Locale.ROOT, "window stages on %s (%d frames, cycled); medians of %d repeats%n%n", source, cycle,
                repeats);
        out.println("| stage | shape | median | GFLOP/s | sgemm GFLOP/s (same shape) | of sgemm |");
        out.println("|---|---|---|---|---|---|");
        final double peak = sgemm(1024, 1024, 1024, repeats);
        out.printf(Locale.ROOT, "| sgemm ceiling | 1024x1024x1024 | %s | %.1f | %.1f | 100%% |%n",
                ms(2.0 * 1024 * 1024 * 1024 / peak / 1e9), peak, peak);

        for (final int d : new int[] {816, 1152, 3584}) {
            final float[] frames = SyntheticVideo.generate(d, 8, GRID, d, 9, 0.35);
            final SpatialScc scc = new SpatialScc();
            final ScissorParams p = ScissorParams.defaults();
            final SampleOrders orders = SampleOrders.seeded(0);
            final double[] t = new double[repeats * 8];
            for (int w = 0; w < 300; w++) {
                scc.compute(frames, (w % 8) * N * d, N, d, p, orders, w);
            }
            for (int r = 0; r < t.length; r++) {
                final long s = System.nanoTime();
                scc.compute(frames, (r % 8) * N * d, N, d, p, orders, r);
                t[r] = System.nanoTime() - s;
            }
            final double sec = median(t) / 1e9;
            final double flops = 2.0 * N * N * d;
            final double ceiling = sgemm(N, N, d, repeats);
            out.printf(Locale.ROOT, "| spatial SCC, one frame | N=%d D=%d | %s | %.1f | %.1f | %.0f%% |%n", N, d,
                    ms(sec), flops / sec / 1e9, ceiling, 100.0 * flops / sec / 1e9 / ceiling);
        }

        final int d = 816;
        final ScissorParams p = ScissorParams.defaults();
        for (final int frames : new int[] {16, 32}) {
            final double[] total = new double[repeats];
            final double[] stage = new double[repeats];
            WindowResult last = null;
            double flops = 0;
            warmUp(WARMUP_WINDOWS, () -> batch(p, video, cycle, d, frames));
            for (int r = 0; r < repeats; r++) {
                final SlidingWindow w = new SlidingWindow(p, SampleOrders.seeded(0), N, d, GRID, frames, frames);
                final long s = System.nanoTime();
                for (int f = 0; f < frames; f++) {
                    last = w.push(f, video, (f % cycle) * N * d);
                }
                final long e = System.nanoTime();
                total[r] = e - s;
                stage[r] = (e - s) - w.spatialNanos();
            }
            flops = temporalMergeFlops(last, d);
            final double sec = median(stage) / 1e9;
            final double ceiling = sgemm(last.tokenCount(), frames * N, d, repeats);
            out.printf(Locale.ROOT, "| temporal + merge, one window | T=%d S=%d M=%d | %s | %.1f | %.1f | %.0f%% |%n",
                    frames, last.spatialTokens(), last.tokenCount(), ms(sec), flops / sec / 1e9, ceiling,
                    100.0 * flops / sec / 1e9 / ceiling);
            out.printf(Locale.ROOT, "| whole window (batch) | T=%d, retention %.1f%% | %s | | | |%n", frames,
                    100 * last.retention(), ms(median(total) / 1e9));
        }

        // Incremental hop vs full recompute at W=32, H=1.
        final int window = 32;
        final SlidingWindow live = new SlidingWindow(p, SampleOrders.seeded(0), N, d, GRID, window, 1);
        final int[] next = {0};
        final Runnable push = () -> {
            live.push(next[0], video, (next[0] % cycle) * N * d);
            next[0]++;
        };
        warmUp(window + WARMUP_WINDOWS, push);
        while (next[0] % cycle != (window + 4) % cycle) {
            push.run(); // every run times the same frames of the video's cycle
        }
        int f = next[0];
        final double[] hop = new double[repeats * 2];
        for (int r = 0; r < hop.length; r++, f++) {
            final long s = System.nanoTime();
            live.push(f, video, (f % cycle) * N * d);
            hop[r] = System.nanoTime() - s;
        }
        final double[] full = new double[repeats];
        warmUp(WARMUP_WINDOWS, () -> batch(p, video, cycle, d, window));
        for (int r = 0; r < repeats; r++) {
            final SlidingWindow w = new SlidingWindow(p, SampleOrders.seeded(0), N, d, GRID, window, window);
            final int start = f - window;
            final long s = System.nanoTime();
            for (int k = start; k < f; k++) {
                w.push(k, video, (k % cycle) * N * d);
            }
            full[r] = System.nanoTime() - s;
        }
        final double hopSec = median(hop) / 1e9;
        final double fullSec = median(full) / 1e9;
        out.printf(Locale.ROOT, "| incremental hop | W=32 H=1 | %s | | | |%n", ms(hopSec));
        out.printf(Locale.ROOT, "| full recompute | W=32 | %s | | | |%n", ms(fullSec));
        out.printf(Locale.ROOT, "%nincremental hop is %.1fx cheaper than a full recompute (W=32, H=1, D=816)%n",
                fullSec / hopSec);
    }

    /** Runs {@code step} at least {@code times} times and for at least {@link #WARMUP_NANOS}. */
    private static void warmUp(final int times, final Runnable step) {
        final long until = System.nanoTime() + WARMUP_NANOS;
        for (int i = 0; i < times || System.nanoTime() < until; i++) {
            step.run();
        }
    }

    /** One batch window of the cycled video's first T frames. */
    private static void batch(final ScissorParams p, final float[] video, final int cycle, final int d,
                              final int frames) {
        final SlidingWindow w = new SlidingWindow(p, SampleOrders.seeded(0), N, d, GRID, frames, frames);
        for (int f = 0; f < frames; f++) {
            w.push(f, video, (f % cycle) * N * d);
        }
    }

    /** Similarity FLOPs of a batch window's temporal and merge stages. */
    private static double temporalMergeFlops(final WindowResult r, final int d) {
        final int[] s = r.spatialCounts();
        double pairs = 0;
        for (int a = 0; a < s.length; a++) {
            for (int b = 0; b <= a; b++) {
                pairs += (double) s[a] * s[b];
            }
        }
        return 2.0 * d * (pairs + (double) r.inputTokens() * r.tokenCount());
    }

    private static double sgemm(final int m, final int n, final int k, final int repeats) {
        final SplittableRandom rnd = new SplittableRandom(m * 31L + n);
        final float[] a = new float[m * k];
        final float[] b = new float[n * k];
        final float[] c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        final int inner = Math.max(1, (int) (2e8 / (2.0 * m * n * k)));
        final double[] t = new double[repeats];
        for (int r = -3; r < repeats; r++) {
            final long s = System.nanoTime();
            for (int i = 0; i < inner; i++) {
                Gemm.abt(m, n, k, a, 0, k, b, 0, k, c, 0, n);
            }
            if (r >= 0) {
                t[r] = (System.nanoTime() - s) / (double) inner;
            }
        }
        return 2.0 * m * n * k / median(t);
    }

    private static double median(final double[] v) {
        final double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static String ms(final double seconds) {
        return String.format(Locale.ROOT, "%.2f ms", seconds * 1e3);
    }
}
