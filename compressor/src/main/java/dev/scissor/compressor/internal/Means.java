package dev.scissor.compressor.internal;

/** Plain (unweighted) component means, accumulated in double and rounded once to float. */
public final class Means {

    private Means() {}

    /**
     * {@code sums[c] = sum of rows r of x with labels[r] == c} (rows visited in ascending order) and
     * {@code out[c] = sums[c] / count}.
     *
     * @param sums output: m zeroed rows of d doubles
     * @param counts work buffer of at least m ints
     */
    public static void componentMeans(
            final float[] x,
            final int off,
            final int rows,
            final int d,
            final int[] labels,
            final int m,
            final double[][] sums,
            final int[] counts,
            final float[] out) {
        java.util.Arrays.fill(counts, 0, m, 0);
        for (int r = 0; r < rows; r++) {
            final int c = labels[r];
            counts[c]++;
            final double[] sum = sums[c];
            final int o = off + r * d;
            for (int i = 0; i < d; i++) {
                sum[i] += x[o + i];
            }
        }
        for (int c = 0; c < m; c++) {
            final double cnt = counts[c];
            final double[] sum = sums[c];
            final int a = c * d;
            for (int i = 0; i < d; i++) {
                out[a + i] = (float) (sum[i] / cnt);
            }
        }
    }
}
