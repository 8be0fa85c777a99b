package dev.scissor.compressor.internal;

/** Plain (unweighted) component means, accumulated in double and rounded once to float. */
public final class Means {

    private Means() {
    }

    /**
     * {@code out[c] = mean of rows r of x with labels[r] == c}, rows visited in ascending order.
     *
     * @param acc work buffer of at least m*d doubles
     * @param counts work buffer of at least m ints
     */
    public static void componentMeans(final float[] x, final int off, final int rows, final int d, final int[] labels,
                               final int m, final double[] acc, final int[] counts, final float[] out) {
        java.util.Arrays.fill(acc, 0, m * d, 0.0);
        java.util.Arrays.fill(counts, 0, m, 0);
        for (int r = 0; r < rows; r++) {
            final int c = labels[r];
            counts[c]++;
            final int a = c * d;
            final int o = off + r * d;
            for (int i = 0; i < d; i++) {
                acc[a + i] += x[o + i];
            }
        }
        for (int c = 0; c < m; c++) {
            final double cnt = counts[c];
            final int a = c * d;
            for (int i = 0; i < d; i++) {
                out[a + i] = (float) (acc[a + i] / cnt);
            }
        }
    }
}
