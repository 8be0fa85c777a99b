package dev.scissor.compressor.bench;

import java.util.SplittableRandom;

/**
 * A synthetic token video with the structure of real encoder features: a 14x14-style grid split
 * into moving Voronoi regions (objects), each with its own direction in feature space, a smooth
 * texture across the grid, and per-token noise.
 */
public final class SyntheticVideo {

    private SyntheticVideo() {}

    /**
     * @param seed random seed
     * @param frames T
     * @param grid grid side (N = grid^2)
     * @param dim D
     * @param objects number of regions
     * @param noise amplitude of per-token variation (along a few feature directions, as real features vary)
     * @return tokens [T, N, D]
     */
    public static float[] generate(
            final long seed, final int frames, final int grid, final int dim, final int objects, final double noise) {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int n = grid * grid;
        final double[][] dir = new double[objects][dim];
        final double[][] tex = new double[2][dim];
        final int modes = 12;
        final double[][] basis = new double[modes][dim];
        for (final double[] v : basis) {
            for (int i = 0; i < dim; i++) {
                v[i] = rnd.nextGaussian() / Math.sqrt(modes);
            }
        }
        final double[] g = new double[modes];
        for (final double[] v : dir) {
            for (int i = 0; i < dim; i++) {
                v[i] = rnd.nextGaussian() + 0.5;
            }
        }
        for (final double[] v : tex) {
            for (int i = 0; i < dim; i++) {
                v[i] = rnd.nextGaussian();
            }
        }
        final double[][] centre = new double[objects][2];
        final double[][] vel = new double[objects][2];
        for (int o = 0; o < objects; o++) {
            centre[o][0] = rnd.nextDouble(grid);
            centre[o][1] = rnd.nextDouble(grid);
            vel[o][0] = rnd.nextDouble(-0.4, 0.4);
            vel[o][1] = rnd.nextDouble(-0.4, 0.4);
        }
        final float[] out = new float[frames * n * dim];
        for (int t = 0; t < frames; t++) {
            for (int o = 0; o < objects; o++) {
                for (int a = 0; a < 2; a++) {
                    centre[o][a] += vel[o][a];
                    if (centre[o][a] < 0 || centre[o][a] > grid) {
                        vel[o][a] = -vel[o][a];
                    }
                }
            }
            for (int r = 0; r < grid; r++) {
                for (int c = 0; c < grid; c++) {
                    int best = 0;
                    double bd = Double.MAX_VALUE;
                    for (int o = 0; o < objects; o++) {
                        final double dr = r - centre[o][0];
                        final double dc = c - centre[o][1];
                        final double dd = dr * dr + dc * dc;
                        if (dd < bd) {
                            bd = dd;
                            best = o;
                        }
                    }
                    final double wr = Math.sin(r * 0.35);
                    final double wc = Math.cos(c * 0.35);
                    final int base = ((t * grid + r) * grid + c) * dim;
                    for (int k = 0; k < modes; k++) {
                        g[k] = noise * rnd.nextGaussian();
                    }
                    for (int i = 0; i < dim; i++) {
                        double v = dir[best][i] + 0.15 * (wr * tex[0][i] + wc * tex[1][i]) + 0.05 * rnd.nextGaussian();
                        for (int k = 0; k < modes; k++) {
                            v += g[k] * basis[k][i];
                        }
                        out[base + i] = (float) Math.max(0.0, v); // ReLU-like features, as CNN outputs
                    }
                }
            }
        }
        return out;
    }
}
