package dev.scissor.compressor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Where the sampled vertex orders of the epsilon approximation come from.
 *
 * <p>Each connected-components call over n vertices with sample size k &lt; n asks for an order:
 * k distinct vertex indices in [0, n). With the exact partition only the set matters. The default
 * ({@link #seeded(long)}) is deterministic, so a rerun gives identical output; {@link #replay(List)}
 * replays stored orders (e.g. golden data). Calls with k = n never consult the source.
 */
public interface SampleOrders {

    /** The kind of connected-components call. */
    enum Stage {
        SPATIAL,
        TEMPORAL
    }

    /**
     * Returns the sampled vertices of one call.
     *
     * @param stage spatial (one frame) or temporal (one window)
     * @param frameSeq the frame's sequence number for spatial calls; -1 for temporal calls
     * @param n number of vertices
     * @param k sample size, {@code 0 <= k < n}
     * @return k distinct indices in [0, n)
     */
    int[] order(Stage stage, long frameSeq, int n, int k);

    /**
     * The default sampler: a seeded permutation prefix that depends only on (seed, stage, frame
     * sequence, n), so a frame's spatial sample and a window's temporal sample do not depend on
     * what was processed before.
     *
     * @param seed the seed
     * @return a deterministic sampler
     */
    static SampleOrders seeded(final long seed) {
        return (stage, frameSeq, n, k) -> {
            long mix = seed * 0x9E3779B97F4A7C15L + (stage == Stage.SPATIAL ? 0x632BE59BD9B4E019L : 0x85157AF5L);
            mix = mix * 0xBF58476D1CE4E5B9L + frameSeq;
            mix = mix * 0x94D049BB133111EBL + n;
            final SplittableRandom rnd = new SplittableRandom(mix);
            final int[] perm = new int[n];
            for (int i = 0; i < n; i++) {
                perm[i] = i;
            }
            for (int i = 0; i < k; i++) {
                final int j = i + rnd.nextInt(n - i);
                final int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            final int[] out = new int[k];
            System.arraycopy(perm, 0, out, 0, k);
            return out;
        };
    }

    /**
     * Replays stored orders, one per call in call order (frames first, then the temporal call, as
     * in the golden data). Calls whose sample is complete (k = n) still consume their stored order.
     * Use with {@link Scissor} batch calls, which consult the source for every call.
     *
     * @param orders the stored orders, in call order
     * @return a replaying sampler that fails clearly when the orders run out or do not fit
     */
    static SampleOrders replay(final List<int[]> orders) {
        final List<int[]> copy = new ArrayList<>(orders);
        return new SampleOrders() {
            private int next;

            @Override
            public int[] order(final Stage stage, final long frameSeq, final int n, final int k) {
                if (next >= copy.size()) {
                    throw new IllegalStateException("replayed sample orders exhausted after " + next + " calls");
                }
                final int[] o = copy.get(next++);
                if (o.length != k) {
                    throw new IllegalStateException("replayed order " + (next - 1) + " has " + o.length
                            + " vertices, the call samples " + k + " of " + n);
                }
                return o.clone();
            }

            @Override
            public boolean consultedForCompleteSamples() {
                return true;
            }
        };
    }

    /**
     * Whether this source must also be consulted for calls whose sample is complete (k = n), so
     * that a replay stays aligned with the stored call sequence.
     *
     * @return true for replays
     */
    default boolean consultedForCompleteSamples() {
        return false;
    }
}
