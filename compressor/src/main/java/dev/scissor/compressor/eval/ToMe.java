package dev.scissor.compressor.eval;

import dev.scissor.compressor.internal.Gemm;

/**
 * ToMe bipartite soft matching (PEERS.md A9, facebookresearch/ToMe {@code tome/merge.py}) on the
 * window's output features, iterated until K tokens remain.
 *
 * <p>Each step splits the live tokens alternately into A (even positions) and B (odd positions),
 * finds for every a its most similar b (cosine of the current means; ties to the lower b), and merges
 * the r = min(|A|, live - K) best-scoring a into their b by size-weighted average (several a may
 * join one b). Differences from ToMe inside a ViT: the features stand in for the attention keys, there
 * is no proportional attention, and the surviving tokens keep their original (frame-major) order
 * instead of ToMe's "unmerged A, then B" concatenation. Always yields exactly K tokens (K &le; T * N).
 */
public final class ToMe implements Method {

    @Override
    public String name() {
        return "tome";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int n = frames * tokens;
        final int k = Math.max(1, Math.min(target, n));
        final double[] sum = new double[n * dim];
        for (int i = 0; i < n * dim; i++) {
            sum[i] = video[i];
        }
        final int[] size = new int[n];
        final int[] parent = new int[n];
        int[] live = new int[n];
        for (int i = 0; i < n; i++) {
            size[i] = 1;
            parent[i] = i;
            live[i] = i;
        }
        int nLive = n;
        int steps = 0;
        while (nLive > k) {
            final int nA = (nLive + 1) / 2;
            final int nB = nLive / 2;
            final int r = Math.min(nA, nLive - k);
            final float[] an = new float[nA * dim];
            final float[] bn = new float[nB * dim];
            for (int p = 0; p < nLive; p++) {
                meanNormalized(sum, size[live[p]], live[p], dim, (p & 1) == 0 ? an : bn, p >> 1);
            }
            final float[] sims = new float[nA * nB];
            Gemm.abt(nA, nB, dim, an, 0, dim, bn, 0, dim, sims, 0, nB);
            final double[] score = new double[nA];
            final int[] match = new int[nA];
            for (int a = 0; a < nA; a++) {
                float best = Float.NEGATIVE_INFINITY;
                int arg = 0;
                final int o = a * nB;
                for (int b = 0; b < nB; b++) {
                    if (sims[o + b] > best) {
                        best = sims[o + b];
                        arg = b;
                    }
                }
                score[a] = best;
                match[a] = arg;
            }
            final boolean[] merged = new boolean[nA];
            for (final int a : Tokens.topK(score, r)) {
                merged[a] = true;
                final int src = live[2 * a];
                final int dst = live[2 * match[a] + 1];
                parent[src] = dst;
                size[dst] += size[src];
                final int so = src * dim;
                final int dO = dst * dim;
                for (int l = 0; l < dim; l++) {
                    sum[dO + l] += sum[so + l];
                }
            }
            final int[] next = new int[nLive - r];
            int q = 0;
            for (int p = 0; p < nLive; p++) {
                if ((p & 1) == 1 || !merged[p >> 1]) {
                    next[q++] = live[p];
                }
            }
            live = next;
            nLive = q;
            steps++;
        }
        final int[] slot = new int[n];
        final float[] out = new float[nLive * dim];
        for (int j = 0; j < nLive; j++) {
            final int id = live[j];
            slot[id] = j;
            final double inv = 1.0 / size[id];
            for (int l = 0; l < dim; l++) {
                out[j * dim + l] = (float) (sum[id * dim + l] * inv);
            }
        }
        final int[] assignment = new int[n];
        for (int i = 0; i < n; i++) {
            int root = i;
            while (parent[root] != root) {
                root = parent[root];
            }
            assignment[i] = slot[root];
        }
        return new Reduction(nLive, out, assignment, steps + " steps");
    }

    private static void meanNormalized(
            final double[] sum, final int size, final int id, final int dim, final float[] dst, final int row) {
        double s = 0;
        final int o = id * dim;
        for (int l = 0; l < dim; l++) {
            s += sum[o + l] * sum[o + l];
        }
        final double inv = s > 0 ? 1.0 / Math.sqrt(s) : 0.0;
        for (int l = 0; l < dim; l++) {
            dst[row * dim + l] = (float) (sum[o + l] * inv);
        }
    }
}
