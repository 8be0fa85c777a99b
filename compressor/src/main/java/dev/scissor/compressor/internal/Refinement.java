package dev.scissor.compressor.internal;

import java.util.Arrays;

/**
 * The refined mode's regrouping of one window's tokens (ScissorParams.Mode.REFINED): from an initial
 * partition (the classic components), split the cluster with the largest total cosine distance to
 * its mean in two (farthest-point seeds, then {@value #SPLIT_STEPS} 2-means steps over its tokens)
 * until K clusters exist, then assignment/mean iterations over all tokens: {@link #lloydSteps} of
 * them, more for a small K (the work of a step, rows x K, is smaller there).
 *
 * <p>A cluster's direction is its normalised plain mean; a token's cosine with it uses the token
 * normalised with the norm clamped to 1e-12 (a zero token has cosine 0 with everything). Argmax ties
 * go to the lowest cluster index. Every step is a deterministic function of the inputs: the full
 * assignment uses {@link Gemm} on blocks of a fixed shape, so the same inputs give the same bits.
 * A cluster that an assignment step leaves empty keeps its previous mean (and takes part in later
 * assignment steps), so the result always has exactly {@code max(m0, min(K, rows))} clusters.
 *
 * <p>Not thread-safe; buffers are reused between calls.
 */
public final class Refinement {

    /** 2-means steps inside a cluster being split. */
    public static final int SPLIT_STEPS = 3;
    /** Fewest assignment/mean iterations over all tokens after the splits (at K &ge; 20% of the rows). */
    public static final int MIN_LLOYD_STEPS = 2;
    /** Most assignment/mean iterations (at K &le; 5% of the rows). */
    public static final int MAX_LLOYD_STEPS = 4;

    private static final int BLOCK = 256;

    private float[] xn = new float[0];
    private int[] members = new int[0];
    private int[] side = new int[0];
    private float[] sims = new float[0];
    private float[] centers = new float[0];
    private float[] centers2 = new float[0];
    private float[] gathered = new float[0];
    private float[] pair = new float[0];

    /** Clusters of the refined partition. */
    public static final class Result {
        /** Number of clusters. */
        public int count;
        /** Cluster of each row (the last assignment), [rows]. */
        public int[] labels;
        /**
         * First row of each cluster, [count]; for a cluster the assignment steps left empty, its first
         * row when it last had rows (its token is the mean of those rows).
         */
        public int[] anchors;
        /** Plain mean of each cluster, [count, D]. */
        public float[] tokens;
    }

    /**
     * Refines a partition.
     *
     * @param x tokens, [rows, D] row-major
     * @param rows number of tokens
     * @param d D
     * @param initial initial cluster of each row, in [0, m0), every cluster non-empty; not modified
     * @param m0 number of initial clusters
     * @param k target number of clusters, at least m0
     * @return the refined clusters, numbered in order of their first row (see {@link Result#anchors})
     */
    public Result refine(final float[] x, final int rows, final int d, final int[] initial, final int m0, final int k) {
        normalize(x, rows, d);
        final int target = Math.max(m0, Math.min(k, rows));
        final int[] labels = Arrays.copyOf(initial, rows);
        final double[][] sum = new double[target][d];
        final double[][] sumN = new double[target][d];
        final int[] size = new int[target];
        final double[] dist = new double[target];
        for (int r = 0; r < rows; r++) {
            accumulate(sum[labels[r]], sumN[labels[r]], x, r, d);
            size[labels[r]]++;
        }
        for (int c = 0; c < m0; c++) {
            dist[c] = distance(sum[c], sumN[c], size[c]);
        }
        if (members.length < rows) {
            members = new int[rows];
            side = new int[rows];
        }
        if (centers2.length < 2 * d) {
            centers2 = new float[2 * d];
        }
        for (int m = m0; m < target; m++) {
            int c = -1;
            for (int j = 0; j < m; j++) {
                if (size[j] >= 2 && (c < 0 || dist[j] > dist[c])) {
                    c = j;
                }
            }
            split(x, rows, d, labels, c, m, sum, sumN, size);
            dist[c] = distance(sum[c], sumN[c], size[c]);
            dist[m] = distance(sum[m], sumN[m], size[m]);
        }
        // anchor[c]: first row of cluster c the last time it had rows (for an emptied cluster's span).
        final int[] anchor = new int[target];
        Arrays.fill(anchor, -1);
        firstRows(labels, rows, anchor);
        final int[] newSize = new int[target];
        final int steps = lloydSteps(rows, target);
        for (int step = 0; step < steps; step++) {
            assignAll(x, rows, d, target, sum, labels);
            Arrays.fill(newSize, 0);
            for (int r = 0; r < rows; r++) {
                newSize[labels[r]]++;
            }
            for (int c = 0; c < target; c++) {
                if (newSize[c] > 0) { // an emptied cluster keeps its previous mean
                    Arrays.fill(sum[c], 0.0);
                    size[c] = newSize[c];
                }
            }
            for (int r = 0; r < rows; r++) {
                addRow(sum[labels[r]], x, r, d);
            }
            firstRows(labels, rows, anchor);
        }
        // Number clusters by their first row (an emptied cluster by its anchor), then emit plain means.
        final long[] order = new long[target];
        for (int c = 0; c < target; c++) {
            order[c] = (long) anchor[c] * target + c;
        }
        Arrays.sort(order);
        final int[] rank = new int[target];
        for (int j = 0; j < target; j++) {
            rank[(int) (order[j] % target)] = j;
        }
        final Result out = new Result();
        out.count = target;
        out.tokens = new float[target * d];
        out.anchors = new int[target];
        for (int c = 0; c < target; c++) {
            final int j = rank[c];
            final double inv = 1.0 / size[c];
            for (int q = 0; q < d; q++) {
                out.tokens[j * d + q] = (float) (sum[c][q] * inv);
            }
            out.anchors[j] = anchor[c];
        }
        for (int r = 0; r < rows; r++) {
            labels[r] = rank[labels[r]];
        }
        out.labels = labels;
        return out;
    }

    /**
     * Assignment/mean iterations for K clusters over a window's rows: {@code round(0.2 * rows / K)},
     * within [{@value #MIN_LLOYD_STEPS}, {@value #MAX_LLOYD_STEPS}] (2 at 10% retention and above,
     * 3 at 7%, 4 at 5% and below; 8 at 5% gave 1-3% less distortion for 2.2-2.4x the time of classic
     * budget mode).
     *
     * @param rows tokens of the window
     * @param k clusters
     * @return the number of iterations
     */
    public static int lloydSteps(final int rows, final int k) {
        return (int) Math.min(MAX_LLOYD_STEPS, Math.max(MIN_LLOYD_STEPS, Math.round(0.2 * rows / Math.max(1, k))));
    }

    /** anchor[c] = first row r with labels[r] == c, for every cluster that has one (others unchanged). */
    private static void firstRows(final int[] labels, final int rows, final int[] anchor) {
        for (int r = rows - 1; r >= 0; r--) {
            anchor[labels[r]] = r;
        }
    }

    /**
     * Splits cluster c into c and the new cluster m (both non-empty). The members' normalised rows
     * are gathered once; their cosines with the seeds or the two halves come from one {@link Gemm}
     * product per step.
     */
    private void split(
            final float[] x,
            final int rows,
            final int d,
            final int[] labels,
            final int c,
            final int m,
            final double[][] sum,
            final double[][] sumN,
            final int[] size) {
        int count = 0;
        for (int r = 0; r < rows; r++) {
            if (labels[r] == c) {
                members[count++] = r;
            }
        }
        if (gathered.length < count * d) {
            gathered = new float[Math.max(count * d, gathered.length * 2)];
        }
        if (pair.length < count * 2) {
            pair = new float[Math.max(count * 2, pair.length * 2)];
        }
        for (int i = 0; i < count; i++) {
            System.arraycopy(xn, members[i] * d, gathered, i * d, d);
        }
        // Farthest-point seeds: a = least similar to the cluster's direction, b = least similar to a.
        direction(sum[c], centers2, 0, d);
        Gemm.abt(count, 1, d, gathered, 0, d, centers2, 0, d, pair, 0, 1);
        final int a = lowest(pair, count, -1);
        System.arraycopy(gathered, a * d, centers2, 0, d);
        Gemm.abt(count, 1, d, gathered, 0, d, centers2, 0, d, pair, 0, 1);
        final int b = lowest(pair, count, a);
        System.arraycopy(gathered, b * d, centers2, d, d);
        int inB = 0;
        for (int step = 0; step < SPLIT_STEPS; step++) {
            Gemm.abt(count, 2, d, gathered, 0, d, centers2, 0, d, pair, 0, 2);
            inB = 0;
            for (int i = 0; i < count; i++) {
                side[i] = step == 0 && (i == a || i == b) ? (i == b ? 1 : 0) : pair[2 * i + 1] > pair[2 * i] ? 1 : 0;
                inB += side[i];
            }
            if (inB == 0 || inB == count) {
                break;
            }
            Arrays.fill(sum[c], 0.0);
            Arrays.fill(sum[m], 0.0);
            for (int i = 0; i < count; i++) {
                addRow(side[i] == 1 ? sum[m] : sum[c], x, members[i], d);
            }
            direction(sum[c], centers2, 0, d);
            direction(sum[m], centers2, d, d);
        }
        if (inB == 0 || inB == count) { // identical directions: move the last member alone
            Arrays.fill(side, 0, count, 0);
            side[count - 1] = 1;
        }
        Arrays.fill(sum[c], 0.0);
        Arrays.fill(sumN[c], 0.0);
        Arrays.fill(sum[m], 0.0);
        Arrays.fill(sumN[m], 0.0);
        size[c] = 0;
        size[m] = 0;
        for (int i = 0; i < count; i++) {
            final int to = side[i] == 1 ? m : c;
            labels[members[i]] = to;
            accumulate(sum[to], sumN[to], x, members[i], d);
            size[to]++;
        }
    }

    /** The index i &lt; count, other than skip, with the lowest v[i] (ties to the lowest i). */
    private static int lowest(final float[] v, final int count, final int skip) {
        int best = -1;
        for (int i = 0; i < count; i++) {
            if (i != skip && (best < 0 || v[i] < v[best])) {
                best = i;
            }
        }
        return best;
    }

    /** labels[r] = argmax_c cos(x_r, mean_c), ties to the lowest c, via Gemm on fixed-shape blocks. */
    private void assignAll(
            final float[] x, final int rows, final int d, final int k, final double[][] sum, final int[] labels) {
        if (centers.length < k * d) {
            centers = new float[k * d];
        }
        if (sims.length < BLOCK * k) {
            sims = new float[BLOCK * k];
        }
        for (int c = 0; c < k; c++) {
            direction(sum[c], centers, c * d, d);
        }
        for (int r0 = 0; r0 < rows; r0 += BLOCK) {
            final int b = Math.min(BLOCK, rows - r0);
            Gemm.abt(b, k, d, xn, r0 * d, d, centers, 0, d, sims, 0, k);
            for (int i = 0; i < b; i++) {
                int best = 0;
                float v = sims[i * k];
                for (int c = 1; c < k; c++) {
                    if (sims[i * k + c] > v) {
                        v = sims[i * k + c];
                        best = c;
                    }
                }
                labels[r0 + i] = best;
            }
        }
    }

    private void normalize(final float[] x, final int rows, final int d) {
        if (xn.length < rows * d) {
            xn = new float[rows * d];
        }
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int q = 0; q < d; q++) {
                final double v = x[r * d + q];
                ss += v * v;
            }
            final double inv = 1.0 / Math.max(Math.sqrt(ss), 1e-12);
            for (int q = 0; q < d; q++) {
                xn[r * d + q] = (float) (x[r * d + q] * inv);
            }
        }
    }

    private void accumulate(final double[] s, final double[] sn, final float[] x, final int r, final int d) {
        for (int q = 0; q < d; q++) {
            s[q] += x[r * d + q];
            sn[q] += xn[r * d + q];
        }
    }

    private static void addRow(final double[] s, final float[] x, final int r, final int d) {
        for (int q = 0; q < d; q++) {
            s[q] += x[r * d + q];
        }
    }

    /** out[off, off + d) = the unit vector along v (the zero vector for a zero v), in float32. */
    private static void direction(final double[] v, final float[] out, final int off, final int d) {
        double ss = 0;
        for (final double e : v) {
            ss += e * e;
        }
        final double inv = ss > 0 ? 1.0 / Math.sqrt(ss) : 0.0;
        for (int q = 0; q < d; q++) {
            out[off + q] = (float) (v[q] * inv);
        }
    }

    /** Total cosine distance of a cluster's members to its mean: size - dir(sum) . sum of normalised members. */
    private static double distance(final double[] sum, final double[] sumN, final int size) {
        double ss = 0;
        for (final double e : sum) {
            ss += e * e;
        }
        if (ss == 0) {
            return size;
        }
        double dot = 0;
        for (int q = 0; q < sum.length; q++) {
            dot += sum[q] * sumN[q];
        }
        return size - dot / Math.sqrt(ss);
    }
}
