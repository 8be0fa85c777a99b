package dev.scissor.compressor.eval;

import java.util.Arrays;

/** Small array helpers shared by the methods (row-major [n, D] float data). */
final class Tokens {

    private Tokens() {}

    /** A copy of rows [n, d] scaled to unit L2 norm; a zero row stays zero. */
    static float[] normalized(final float[] x, final int off, final int n, final int d) {
        final float[] out = new float[n * d];
        for (int i = 0; i < n; i++) {
            final int o = off + i * d;
            double s = 0;
            for (int l = 0; l < d; l++) {
                s += (double) x[o + l] * x[o + l];
            }
            final double inv = s > 0 ? 1.0 / Math.sqrt(s) : 0.0;
            for (int l = 0; l < d; l++) {
                out[i * d + l] = (float) (x[o + l] * inv);
            }
        }
        return out;
    }

    /** L2 norm of row i. */
    static double norm(final float[] x, final int i, final int d) {
        double s = 0;
        final int o = i * d;
        for (int l = 0; l < d; l++) {
            s += (double) x[o + l] * x[o + l];
        }
        return Math.sqrt(s);
    }

    /** Cosine of rows a and b (0 when either is zero). */
    static double cos(final float[] x, final int a, final float[] y, final int b, final int d) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        final int oa = a * d;
        final int ob = b * d;
        for (int l = 0; l < d; l++) {
            final double u = x[oa + l];
            final double v = y[ob + l];
            dot += u * v;
            na += u * u;
            nb += v * v;
        }
        return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0.0;
    }

    /** The rows idx (in that order) of x, [idx.length, d]. */
    static float[] gather(final float[] x, final int d, final int[] idx) {
        final float[] out = new float[idx.length * d];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(x, idx[i] * d, out, i * d, d);
        }
        return out;
    }

    /**
     * The k indices with the largest scores (ties to the lower index), in ascending index order.
     * Indices whose score is NaN are never chosen before finite ones.
     */
    static int[] topK(final double[] score, final int k) {
        final int n = score.length;
        final Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            final int c = Double.compare(score[b], score[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        final int m = Math.min(k, n);
        final int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = order[i];
        }
        Arrays.sort(out);
        return out;
    }

    /** k indices of 0..n-1 evenly spaced: floor(i * n / k) (PEERS.md U2). */
    static int[] evenlySpaced(final int n, final int k) {
        final int m = Math.min(k, n);
        final int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = (int) ((long) i * n / m);
        }
        return out;
    }

    /** A selection result: the rows idx (ascending) of the window, no assignment. */
    static Reduction select(final float[] video, final int dim, final int[] idx, final String note) {
        return new Reduction(idx.length, gather(video, dim, idx), null, note);
    }

    /** A per-window seed that depends on the content (so windows differ) and on the user's seed. */
    static long contentSeed(final long seed, final float[] video) {
        long h = seed * 0x9E3779B97F4A7C15L + video.length;
        final int step = Math.max(1, video.length / 64);
        for (int i = 0; i < video.length; i += step) {
            h = h * 31 + Float.floatToIntBits(video[i]);
        }
        return h;
    }
}
