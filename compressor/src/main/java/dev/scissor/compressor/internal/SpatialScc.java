package dev.scissor.compressor.internal;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;

/**
 * Spatial SCC of one frame: cosine adjacency (strict {@code > tau}, self-loops, zero-norm tokens
 * isolated), sampled connected components with an exact partition, components ordered by their
 * highest-degree member, one mean token per component. Holds reusable work buffers; not thread-safe.
 */
public final class SpatialScc {

    private double[] norms = new double[0];
    private double[] exactNorms = new double[0];
    private float[] sims = new float[0];
    private long[] bits = new long[0];
    private int[] degree = new int[0];
    private int[] counts = new int[0];
    private final Components components = new Components();

    /**
     * Computes the spatial SCC of tokens {@code x[off .. off + n*d)}.
     *
     * @param x token data, row-major [n, d]
     * @param off offset of the first token
     * @param n number of tokens
     * @param d token dimension
     * @param params tau and epsilon
     * @param orders sample orders (consulted only when the sample is incomplete, or for replays)
     * @param frameSeq the frame's sequence number, passed to the sampler
     * @return the frame's components
     * @throws IllegalArgumentException when a value is not finite (before the sample orders are consulted)
     */
    public SpatialFrame compute(
            final float[] x,
            final int off,
            final int n,
            final int d,
            final ScissorParams params,
            final SampleOrders orders,
            final long frameSeq) {
        final int words = Bits.words(n);
        ensure(n, d, words);
        // One product on the raw tokens: cosines are G_ij / sqrt(G_ii G_jj), no normalisation pass.
        Gemm.abt(n, n, d, x, off, d, x, off, d, sims, 0, n);
        final float[] inputNorms = new float[n];
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(sims[i * n + i])) { // so is the squared norm of a token with a NaN or Inf value
                requireFinite(x, off + i * d, d, frameSeq, i);
            }
            norms[i] = Math.sqrt(Math.max(0.0, sims[i * n + i]));
            inputNorms[i] = (float) norms[i];
            exactNorms[i] = Double.NaN;
        }
        java.util.Arrays.fill(bits, 0, n * words, 0L);
        final double tau = params.tau();
        final double err = Exact.gramCosineErrorBound(d);
        for (int i = 0; i < n; i++) {
            if (norms[i] == 0.0) {
                continue; // a zero-norm token (squared norm 0 in float32) has no edges at any tau
            }
            for (int j = i; j < n; j++) {
                if (norms[j] == 0.0) {
                    continue;
                }
                // Clamped as the normalisation x / max(|x|, 1e-12); an overflowed Gram entry or norm
                // (infinite or NaN v or denominator) has no float32 bound and goes to float64.
                final double denom = Math.max(norms[i], Exact.NORM_EPS) * Math.max(norms[j], Exact.NORM_EPS);
                final double v = sims[i * n + j] / denom;
                final boolean fast = Double.isFinite(v) && Double.isFinite(denom);
                final boolean edge;
                if (fast && v - err > tau) {
                    edge = true;
                } else if (fast && v + err <= tau) {
                    edge = false;
                } else {
                    edge = Exact.cosine(
                                    x, off + i * d, exactNorm(x, off, i, d), x, off + j * d, exactNorm(x, off, j, d), d)
                            > tau;
                }
                if (edge) {
                    Bits.set(bits, i * words, j);
                    Bits.set(bits, j * words, i);
                }
            }
        }
        final int[] sampled = Sampling.sample(params, orders, SampleOrders.Stage.SPATIAL, frameSeq, n);
        final int[] labels = new int[n];
        final int m = components.label(bits, n, words, sampled, degree, labels);
        final float[] tokens = new float[m * d];
        final double[][] sums = new double[m][d];
        Means.componentMeans(x, off, n, d, labels, m, sums, counts, tokens);
        final float[] normalized = new float[m * d];
        final double[] tokenNorms = new double[m];
        Exact.normalizeRows(tokens, m, d, normalized, tokenNorms, 0);
        return new SpatialFrame(m, labels, tokens, sums, normalized, tokenNorms, inputNorms);
    }

    private static void requireFinite(
            final float[] x, final int off, final int d, final long frameSeq, final int token) {
        for (int k = 0; k < d; k++) {
            if (!Float.isFinite(x[off + k])) {
                throw new IllegalArgumentException(
                        "frame " + frameSeq + " has a non-finite value at token " + token + ", dim " + k);
            }
        }
    }

    private double exactNorm(final float[] x, final int off, final int i, final int d) {
        if (Double.isNaN(exactNorms[i])) {
            exactNorms[i] = Exact.norm(x, off + i * d, d);
        }
        return exactNorms[i];
    }

    private void ensure(final int n, final int d, final int words) {
        if (norms.length < n) {
            norms = new double[n];
            exactNorms = new double[n];
            degree = new int[n];
            counts = new int[n];
        }
        if (sims.length < n * n) {
            sims = new float[n * n];
        }
        if (bits.length < n * words) {
            bits = new long[n * words];
        }
    }
}
