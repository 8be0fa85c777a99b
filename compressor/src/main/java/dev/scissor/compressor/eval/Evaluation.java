package dev.scissor.compressor.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs methods over windows at several retentions: for each method and retention r, every window is
 * reduced to K = max(1, round(r * T * N)) tokens and scored with {@link Distortion}; the row holds
 * the means over windows (the worst case is the maximum) and the median compute time per window.
 *
 * <pre>{@code
 * List<Evaluation.Row> rows = Evaluation.run(Methods.byNames(Methods.ALL, 0), windows, 16, 196, 88,
 *         new double[] {0.05, 0.1, 0.2, 0.35});
 * System.out.print(Evaluation.table(rows));
 * }</pre>
 */
public final class Evaluation {

    private Evaluation() {}

    /**
     * One line of the table.
     *
     * @param method method name
     * @param kind select or merge
     * @param retention r asked for
     * @param target K asked for
     * @param tokens mean K' achieved per window
     * @param meanDistance mean over windows of D-bar
     * @param coverage mean over windows of Cov@0.9
     * @param worst max over windows of the covering radius
     * @param drift mean over windows of the kept tokens' drift
     * @param msPerWindow median compute time per window, ms (excluding the metrics)
     */
    public record Row(
            String method,
            Method.Kind kind,
            double retention,
            int target,
            double tokens,
            double meanDistance,
            double coverage,
            double worst,
            double drift,
            double msPerWindow) {}

    /**
     * Evaluates every method at every retention on every window.
     *
     * @param methods the methods
     * @param windows windows, each [T, N, D] row-major
     * @param frames T
     * @param tokens N
     * @param dim D
     * @param retentions ratios in (0, 1]
     * @return one row per method and retention, methods outer
     */
    public static List<Row> run(
            final List<Method> methods,
            final List<float[]> windows,
            final int frames,
            final int tokens,
            final int dim,
            final double[] retentions) {
        return run(methods, windows, frames, tokens, dim, retentions, (m, r, w, kept) -> {});
    }

    /** Receives each window's kept tokens as {@link #run} produces them (for task metrics). */
    @FunctionalInterface
    public interface Listener {
        /**
         * One window reduced.
         *
         * @param method index of the method in the list given to run
         * @param retention index of the retention
         * @param window index of the window
         * @param kept the kept tokens
         */
        void kept(int method, int retention, int window, Reduction kept);
    }

    /**
     * As {@link #run(List, List, int, int, int, double[])}, handing every reduction to a listener
     * (outside the timed part).
     *
     * @param methods the methods
     * @param windows windows, each [T, N, D] row-major
     * @param frames T
     * @param tokens N
     * @param dim D
     * @param retentions ratios in (0, 1]
     * @param listener called once per method, retention and window
     * @return one row per method and retention, methods outer
     */
    public static List<Row> run(
            final List<Method> methods,
            final List<float[]> windows,
            final int frames,
            final int tokens,
            final int dim,
            final double[] retentions,
            final Listener listener) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("no windows");
        }
        final int n = frames * tokens;
        final List<Row> rows = new ArrayList<>();
        for (int mi = 0; mi < methods.size(); mi++) {
            final Method m = methods.get(mi);
            for (int ri = 0; ri < retentions.length; ri++) {
                final double r = retentions[ri];
                if (!(r > 0 && r <= 1)) {
                    throw new IllegalArgumentException("retention must lie in (0, 1], got " + r);
                }
                final int k = (int) Math.max(1, Math.round(r * n));
                double count = 0;
                double mean = 0;
                double cov = 0;
                double worst = 0;
                double drift = 0;
                final double[] ms = new double[windows.size()];
                for (int w = 0; w < windows.size(); w++) {
                    final float[] video = windows.get(w);
                    final long t0 = System.nanoTime();
                    final Reduction red = m.reduce(video, frames, tokens, dim, k);
                    ms[w] = (System.nanoTime() - t0) / 1e6;
                    listener.kept(mi, ri, w, red);
                    final Distortion d = Distortion.of(video, n, red.tokens(), red.count(), dim);
                    count += red.count();
                    mean += d.meanDistance();
                    cov += d.coverage();
                    worst = Math.max(worst, d.worst());
                    drift += d.drift();
                }
                final int nw = windows.size();
                rows.add(new Row(
                        m.name(), m.kind(), r, k, count / nw, mean / nw, cov / nw, worst, drift / nw, median(ms)));
            }
        }
        return rows;
    }

    /** The rows as CSV with a header line. */
    public static String csv(final List<Row> rows) {
        final StringBuilder sb = new StringBuilder(
                "method,kind,retention,K,tokens,mean_distance,coverage_0.9,worst,drift,ms_per_window\n");
        for (final Row r : rows) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%s,%s,%.4f,%d,%.2f,%.6f,%.6f,%.6f,%.6f,%.3f%n",
                    r.method(),
                    r.kind().name().toLowerCase(Locale.ROOT),
                    r.retention(),
                    r.target(),
                    r.tokens(),
                    r.meanDistance(),
                    r.coverage(),
                    r.worst(),
                    r.drift(),
                    r.msPerWindow()));
        }
        return sb.toString();
    }

    /** The rows as an aligned text table. */
    public static String table(final List<Row> rows) {
        final StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT,
                "%-15s %-6s %6s %6s %8s %9s %9s %7s %7s %10s%n",
                "method",
                "kind",
                "ret",
                "K",
                "tokens",
                "mean dist",
                "cov@0.9",
                "worst",
                "drift",
                "ms/window"));
        for (final Row r : rows) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-15s %-6s %5.1f%% %6d %8.1f %9.4f %9.3f %7.4f %7.4f %10.2f%n",
                    r.method(),
                    r.kind().name().toLowerCase(Locale.ROOT),
                    100 * r.retention(),
                    r.target(),
                    r.tokens(),
                    r.meanDistance(),
                    r.coverage(),
                    r.worst(),
                    r.drift(),
                    r.msPerWindow()));
        }
        return sb.toString();
    }

    /**
     * Splits [W*T, N, D] tokens into W windows of T frames (a last partial window is dropped).
     *
     * @param data tokens, [F, N, D]
     * @param frames F
     * @param window T
     * @param perFrame N * D
     * @return the windows, each [T, N, D]
     */
    public static List<float[]> windows(final float[] data, final int frames, final int window, final int perFrame) {
        final List<float[]> out = new ArrayList<>();
        for (int f = 0; f + window <= frames; f += window) {
            out.add(Arrays.copyOfRange(data, f * perFrame, (f + window) * perFrame));
        }
        return out;
    }

    static double median(final double[] v) {
        final double[] s = v.clone();
        Arrays.sort(s);
        final int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
    }
}
