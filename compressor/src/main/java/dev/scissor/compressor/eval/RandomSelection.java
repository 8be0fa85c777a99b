package dev.scissor.compressor.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random keep (PEERS.md U3, UniPruneBench's strong baseline): K of the window's T * N tokens,
 * uniformly without replacement, emitted in original order.
 *
 * <p>The generator is seeded from the given seed and the window's content, so the same seed and
 * window always give the same selection while different windows get different ones.
 */
public final class RandomSelection implements Method {

    private final long seed;

    /** @param seed the seed */
    public RandomSelection(final long seed) {
        this.seed = seed;
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public Kind kind() {
        return Kind.SELECT;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int n = frames * tokens;
        final int k = Math.min(target, n);
        final SplittableRandom rng = new SplittableRandom(Tokens.contentSeed(seed, video));
        final int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < k; i++) {
            final int j = i + rng.nextInt(n - i);
            final int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        final int[] idx = Arrays.copyOf(perm, k);
        Arrays.sort(idx);
        return Tokens.select(video, dim, idx, "");
    }
}
