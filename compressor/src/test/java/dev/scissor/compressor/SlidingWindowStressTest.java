package dev.scissor.compressor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sliding window == a fresh (batch) window fed the same frames, bit for bit, over 1,500 random
 * configurations of degenerate inputs (zero, duplicate, scaled and negated tokens, repeated frames,
 * all-identical and all-dissimilar frames), tau from -1.5 to 1.5, epsilon 0 to 0.9, budgets, W 1-6
 * and H 1-7, random manual emits and novelty calls, and a large case (N 196, W 13-16).
 */
class SlidingWindowStressTest {

    /** Frames from a small pool (exact duplicates across frames), zero tokens, duplicate/scaled/negated tokens. */
    static float[] degenerateVideo(final SplittableRandom rnd, final int frames, final int n, final int d) {
        final int pool = 1 + rnd.nextInt(3);
        final float[][] base = new float[pool][n * d];
        final int kind = rnd.nextInt(5);
        for (final float[] f : base) {
            final float[] proto = new float[d];
            for (int i = 0; i < d; i++) {
                proto[i] = (float) rnd.nextDouble(-1, 1);
            }
            for (int k = 0; k < n; k++) {
                final int r = rnd.nextInt(10);
                for (int i = 0; i < d; i++) {
                    float v;
                    switch (kind) {
                        case 0 -> v = proto[i]; // all identical
                        case 1 -> v = i == k % d ? 1f : 0f; // axis vectors (orthogonal / duplicates)
                        case 2 -> v = (float) rnd.nextDouble(-1, 1); // dissimilar
                        default -> v = proto[i] + (float) rnd.nextDouble(-0.2, 0.2);
                    }
                    if (r == 0) {
                        v = 0f; // zero token
                    } else if (r == 1 && k > 0) {
                        v = f[(k - 1) * d + i]; // duplicate of the previous token
                    } else if (r == 2 && k > 0) {
                        v = 2f * f[(k - 1) * d + i];
                    } else if (r == 3 && k > 0) {
                        v = -f[(k - 1) * d + i];
                    } else if (r == 4 && k > 0) {
                        v = 3f * f[(k - 1) * d + i];
                    }
                    f[k * d + i] = v;
                }
            }
        }
        final float[] out = new float[frames * n * d];
        for (int t = 0; t < frames; t++) {
            final float[] src = rnd.nextInt(3) == 0 ? base[rnd.nextInt(pool)] : base[t % pool];
            System.arraycopy(src, 0, out, t * n * d, n * d);
            if (rnd.nextInt(4) == 0) { // a slightly perturbed copy
                final int k = rnd.nextInt(n * d);
                out[t * n * d + k] += 1e-7f;
            }
        }
        return out;
    }

    static WindowResult batch(
            final ScissorParams p,
            final long seed,
            final int n,
            final int d,
            final int gw,
            final float[] video,
            final List<long[]> frames) {
        final SlidingWindow fresh =
                new SlidingWindow(p, SampleOrders.seeded(seed), n, d, gw, frames.size(), frames.size());
        WindowResult out = null;
        for (final long[] f : frames) {
            out = fresh.push(f[0], video, (int) f[1] * n * d);
        }
        return out;
    }

    @Test
    void slidingEqualsBatchOnDegenerateInputs() {
        final double[] taus = {-1.5, -0.5, 0.0, 0.3, 0.5, 0.9, 0.99, 1.0, 1.5};
        final double[] eps = {0.0, 0.05, 0.5, 0.9};
        int windows = 0;
        for (int iter = 0; iter < 1500; iter++) {
            final SplittableRandom rnd = new SplittableRandom(iter * 7919L + 13);
            final int n = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 70 : 12);
            final int d = 1 + rnd.nextInt(6);
            final int w = 1 + rnd.nextInt(6);
            final int h = 1 + rnd.nextInt(7);
            final int total = 1 + rnd.nextInt(18);
            final int gw = rnd.nextBoolean() ? n : 1;
            final double tau = taus[rnd.nextInt(taus.length)];
            final double e = eps[rnd.nextInt(eps.length)];
            ScissorParams p = new ScissorParams(tau, e, null, iter, true);
            final int b = rnd.nextInt(4);
            if (b == 1) {
                p = p.withBudget(ScissorParams.Budget.tokens(1 + rnd.nextInt(5)));
            } else if (b == 2) {
                p = p.withBudget(ScissorParams.Budget.retention(0.05 + rnd.nextDouble() * 0.5));
            }
            final float[] video = degenerateVideo(rnd, total, n, d);
            final SlidingWindow sw = new SlidingWindow(p, SampleOrders.seeded(iter), n, d, gw, w, h);
            final List<long[]> held = new ArrayList<>();
            long seq = rnd.nextInt(5);
            final int mode = rnd.nextInt(3); // 0 push, 1 add + random emits, 2 mixed
            for (int t = 0; t < total; t++) {
                seq += 1 + rnd.nextInt(3);
                WindowResult r = null;
                if (mode == 0 || (mode == 2 && rnd.nextBoolean())) {
                    r = sw.push(seq, video, t * n * d);
                } else {
                    sw.add(seq, video, t * n * d);
                }
                held.add(new long[] {seq, t});
                if (held.size() > w) {
                    held.remove(0);
                }
                if (rnd.nextInt(4) == 0) {
                    sw.novelty();
                }
                if (r == null && mode != 0 && rnd.nextInt(3) == 0) {
                    r = sw.emit();
                    if (rnd.nextInt(4) == 0) {
                        final WindowResult again = sw.emit();
                        ScissorProperties.assertSame(r, again);
                    }
                }
                if (r != null) {
                    windows++;
                    final WindowResult expect = batch(p, iter, n, d, gw, video, held);
                    try {
                        ScissorProperties.assertSame(expect, r);
                    } catch (AssertionError err) {
                        throw new AssertionError(
                                "iter " + iter + " t " + t + " n=" + n + " d=" + d + " W=" + w + " H=" + h
                                        + " tau=" + tau + " eps=" + e + " budget=" + p.budget() + " mode=" + mode + ": "
                                        + err.getMessage(),
                                err);
                    }
                }
            }
        }
        System.out.println("compared windows: " + windows);
    }

    /** Sizes that exercise several temporal edge blocks (MAX_PRODUCT), several ROW_BLOCKs and ring wrap. */
    @Test
    void slidingEqualsBatchLarge() {
        for (int iter = 0; iter < 4; iter++) {
            final SplittableRandom rnd = new SplittableRandom(iter);
            final int n = 196;
            final int d = 5;
            final int w = 13 + iter;
            final int h = 1 + iter;
            final int total = w + 6;
            final double tau = iter % 2 == 0 ? 1.5 : 0.97;
            final ScissorParams p = new ScissorParams(tau, 0.05, null, 1, true);
            final float[] video =
                    iter < 2 ? RandomVideos.video(iter, total, n, d, 40, 0.05) : degenerateVideo(rnd, total, n, d);
            final SlidingWindow sw = new SlidingWindow(p, SampleOrders.seeded(1), n, d, 14, w, h);
            final List<long[]> held = new ArrayList<>();
            for (int t = 0; t < total; t++) {
                final WindowResult r = sw.push(t, video, t * n * d);
                held.add(new long[] {t, t});
                if (held.size() > w) {
                    held.remove(0);
                }
                if (r != null) {
                    ScissorProperties.assertSame(batch(p, 1, n, d, 14, video, held), r);
                }
            }
        }
    }
}
