package dev.scissor.compressor;

import java.util.SplittableRandom;

/** Clustered random token videos: objects that drift over time, plus noise and occasional outliers. */
final class RandomVideos {

    private RandomVideos() {}

    static float[] video(
            final long seed, final int frames, final int n, final int d, final int objects, final double noise) {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final double[][] centers = new double[objects][d];
        for (final double[] c : centers) {
            for (int i = 0; i < d; i++) {
                c[i] = rnd.nextDouble(-1, 1);
            }
        }
        final float[] out = new float[frames * n * d];
        for (int t = 0; t < frames; t++) {
            for (final double[] c : centers) {
                for (int i = 0; i < d; i++) {
                    c[i] += rnd.nextDouble(-0.05, 0.05);
                }
            }
            for (int k = 0; k < n; k++) {
                final int o = rnd.nextInt(objects);
                final int base = (t * n + k) * d;
                final boolean outlier = rnd.nextInt(20) == 0;
                for (int i = 0; i < d; i++) {
                    final double v = outlier ? rnd.nextDouble(-1, 1) : centers[o][i] + noise * rnd.nextDouble(-1, 1);
                    out[base + i] = (float) v;
                }
            }
        }
        return out;
    }
}
