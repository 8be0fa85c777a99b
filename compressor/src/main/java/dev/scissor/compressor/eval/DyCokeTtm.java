package dev.scissor.compressor.eval;

import java.util.Arrays;

/**
 * DyCoke stage 1, temporal token merging (PEERS.md A3, KD-TAO/DyCoke {@code dycole_ttm}), at a
 * token count.
 *
 * <p>Frames are taken in groups of 4 (f0 f1 f2 f3; a last short group likewise). f0 is kept whole;
 * f1 keeps the slots least similar to f0 (same slot), f2 those least similar to f0, f3 those least
 * similar to f2. DyCoke keeps a fixed 30% of slots in f1..f3 (K = 0.7, about 47% overall); here the
 * group's share of K, minus N for f0, is split evenly over f1..f3 so that the window yields about K.
 *
 * <p>Approximations: despite its name the TTM step drops the similar tokens (it does not average
 * them), so this is a selection method. Below about 25% retention the group's share is less than
 * N and f0 cannot be kept whole: then every frame of the group, f0 included, gets an equal share, f0
 * by evenly spaced selection (PEERS.md U2) and the others by least similarity as above.
 */
public final class DyCokeTtm implements Method {

    static final int GROUP = 4;

    @Override
    public String name() {
        return "dycoke";
    }

    @Override
    public Kind kind() {
        return Kind.SELECT;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int n = frames * tokens;
        final boolean[] keep = new boolean[n];
        int assigned = 0;
        for (int g0 = 0; g0 < frames; g0 += GROUP) {
            final int len = Math.min(GROUP, frames - g0);
            // the group's share of K, by cumulative rounding so the shares add up to K
            final int end = (int) Math.round((double) target * (g0 + len) / frames);
            final int share = Math.max(1, end - assigned);
            assigned = end;
            final int[] quota = new int[len];
            if (share >= tokens || len == 1) {
                quota[0] = Math.min(tokens, share);
                spread(quota, 1, share - quota[0]);
            } else {
                spread(quota, 0, share);
            }
            for (int j = 0; j < len; j++) {
                final int f = g0 + j;
                final int q = Math.min(tokens, quota[j]);
                if (j == 0) {
                    for (final int i : Tokens.evenlySpaced(tokens, q)) {
                        keep[f * tokens + i] = true;
                    }
                    continue;
                }
                final int ref = j == 3 ? f - 1 : g0;
                final double[] score = new double[tokens];
                for (int i = 0; i < tokens; i++) {
                    score[i] = -Tokens.cos(video, ref * tokens + i, video, f * tokens + i, dim);
                }
                for (final int i : Tokens.topK(score, q)) {
                    keep[f * tokens + i] = true;
                }
            }
        }
        final int[] idx = new int[n];
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (keep[i]) {
                idx[c++] = i;
            }
        }
        return Tokens.select(video, dim, Arrays.copyOf(idx, c), "");
    }

    /** Adds total evenly to quota[from..], the remainder to the first ones. */
    private static void spread(final int[] quota, final int from, final int total) {
        final int m = quota.length - from;
        if (m <= 0 || total <= 0) {
            return;
        }
        for (int j = 0; j < m; j++) {
            quota[from + j] += total / m + (j < total % m ? 1 : 0);
        }
    }
}
