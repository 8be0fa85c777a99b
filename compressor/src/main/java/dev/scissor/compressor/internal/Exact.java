package dev.scissor.compressor.internal;

/**
 * Certified discrete decisions. Similarities come from float32 BLAS products, whose value depends
 * on the blocking of the call; a threshold or argmax decision closer than the rounding-error bound
 * is re-decided on a float64 cosine of the original vectors. Decisions are therefore the float64
 * decisions and do not depend on the BLAS library or call shape.
 */
public final class Exact {

    /** Norm clamp of the L2 normalisation, as in the project's decision 2. */
    public static final double NORM_EPS = 1e-12;

    private static final double U = 0x1.0p-24;

    private Exact() {}

    /**
     * Bound on |float32 dot - exact cosine| for two vectors normalised in float32 (each element
     * rounded once) and summed in float32 in any order: (k + 4) u, with a safety factor.
     *
     * @param k vector length
     * @return the bound
     */
    public static float cosineErrorBound(final int k) {
        return (float) ((k + 4) * U * 1.05);
    }

    /**
     * Bound on |G_ij / sqrt(G_ii G_jj) - exact cosine| when the Gram entries G of the raw vectors
     * come from a float32 product: twice {@link #cosineErrorBound}.
     *
     * @param k vector length
     * @return the bound
     */
    public static float gramCosineErrorBound(final int k) {
        return 2 * cosineErrorBound(k);
    }

    /** L2 norm in double. */
    public static double norm(final float[] x, final int off, final int d) {
        return Math.sqrt(dot(x, off, x, off, d));
    }

    /** Dot product in double (four partial sums: a fixed, deterministic order). */
    public static double dot(final float[] x, final int xOff, final float[] y, final int yOff, final int d) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < d; i += 4) {
            s0 += (double) x[xOff + i] * y[yOff + i];
            s1 += (double) x[xOff + i + 1] * y[yOff + i + 1];
            s2 += (double) x[xOff + i + 2] * y[yOff + i + 2];
            s3 += (double) x[xOff + i + 3] * y[yOff + i + 3];
        }
        for (; i < d; i++) {
            s0 += (double) x[xOff + i] * y[yOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Cosine in double with norms clamped to {@link #NORM_EPS}. */
    public static double cosine(
            final float[] x,
            final int xOff,
            final double xNorm,
            final float[] y,
            final int yOff,
            final double yNorm,
            final int d) {
        return dot(x, xOff, y, yOff, d) / (Math.max(xNorm, NORM_EPS) * Math.max(yNorm, NORM_EPS));
    }

    /**
     * Writes the float32 L2-normalised rows of {@code x} into {@code out} (same layout, from 0) and
     * their double norms into {@code norms}.
     */
    public static void normalizeRows(
            final float[] x, final int rows, final int d, final float[] out, final double[] norms, final int normsOff) {
        for (int r = 0; r < rows; r++) {
            final int o = r * d;
            final double n = norm(x, o, d);
            norms[normsOff + r] = n;
            final double inv = 1.0 / Math.max(n, NORM_EPS);
            // Four independent conversions per step: C2 (JDK 17) otherwise chains each float-double
            // conversion to the previous one through a register, at about a third of the speed.
            int k = o;
            for (; k + 3 < o + d; k += 4) {
                final double a = x[k];
                final double b = x[k + 1];
                final double c = x[k + 2];
                final double e = x[k + 3];
                out[k] = (float) (a * inv);
                out[k + 1] = (float) (b * inv);
                out[k + 2] = (float) (c * inv);
                out[k + 3] = (float) (e * inv);
            }
            for (; k < o + d; k++) {
                out[k] = (float) (x[k] * inv);
            }
        }
    }
}
