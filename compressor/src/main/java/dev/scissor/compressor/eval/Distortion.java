package dev.scissor.compressor.eval;

import dev.scissor.compressor.internal.Gemm;

/**
 * Model-free distortion of one window's kept tokens against all its original tokens (PEERS.md
 * §6.2), with cosine distance d(x, y) = 1 - cos(x, y):
 *
 * <ul>
 *   <li>{@code meanDistance}: (1/|X|) sum_i min_j d(x_i, y_j), the headline D-bar;</li>
 *   <li>{@code coverage}: share of x_i with max_j cos(x_i, y_j) &ge; {@value #COVERAGE_COSINE};</li>
 *   <li>{@code worst}: max_i min_j d(x_i, y_j), the covering radius;</li>
 *   <li>{@code drift}: (1/|Y|) sum_j min_i d(y_j, x_i), how far kept tokens lie from the nearest real
 *       token (0 for selection; for merging, the off-manifold risk; PEERS.md "Blur" uses the
 *       token's members instead of all originals).</li>
 * </ul>
 *
 * <p>The similarities come from BLAS in blocks of {@value #BLOCK} originals against all kept tokens;
 * a zero vector has cosine 0 with everything. Distances are clamped at 0 (float rounding).
 *
 * @param meanDistance D-bar
 * @param coverage Cov@0.9
 * @param worst covering radius
 * @param drift mean distance from kept tokens to their nearest original
 */
public record Distortion(double meanDistance, double coverage, double worst, double drift) {

    /** The cosine at which an original token counts as covered. */
    public static final double COVERAGE_COSINE = 0.9;

    static final int BLOCK = 256;

    /**
     * Scores kept tokens against the originals.
     *
     * @param original originals, [n, D] row-major
     * @param n number of originals
     * @param kept kept tokens, [k, D] row-major
     * @param k number of kept tokens, at least 1
     * @param dim D
     * @return the four measures
     */
    public static Distortion of(final float[] original, final int n, final float[] kept, final int k, final int dim) {
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("need at least one original and one kept token, got n=" + n + " k=" + k);
        }
        final float[] x = Tokens.normalized(original, 0, n, dim);
        final float[] y = Tokens.normalized(kept, 0, k, dim);
        final float[] sims = new float[Math.min(BLOCK, n) * k];
        final float[] colMax = new float[k];
        java.util.Arrays.fill(colMax, Float.NEGATIVE_INFINITY);
        double sum = 0;
        double worst = 0;
        long covered = 0;
        for (int i0 = 0; i0 < n; i0 += BLOCK) {
            final int b = Math.min(BLOCK, n - i0);
            Gemm.abt(b, k, dim, x, i0 * dim, dim, y, 0, dim, sims, 0, k);
            for (int i = 0; i < b; i++) {
                float best = Float.NEGATIVE_INFINITY;
                final int o = i * k;
                for (int j = 0; j < k; j++) {
                    final float s = sims[o + j];
                    if (s > best) {
                        best = s;
                    }
                    if (s > colMax[j]) {
                        colMax[j] = s;
                    }
                }
                final double dist = Math.max(0.0, 1.0 - best);
                sum += dist;
                worst = Math.max(worst, dist);
                if (best >= COVERAGE_COSINE - 1e-6) {
                    covered++;
                }
            }
        }
        double drift = 0;
        for (int j = 0; j < k; j++) {
            drift += Math.max(0.0, 1.0 - colMax[j]);
        }
        return new Distortion(sum / n, (double) covered / n, worst, drift / k);
    }
}
