package dev.scissor.compressor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Invariants of the compressor over random clustered videos. */
class ScissorProperties {

    @Property(tries = 60)
    void everyTokenIsInExactlyOneComponent(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 6) int frames,
            @ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(min = 1, max = 24) int d,
            @ForAll @DoubleRange(min = -0.2, max = 0.99) double tau,
            @ForAll @DoubleRange(min = 0.0, max = 0.6) double epsilon) {
        final float[] video = RandomVideos.video(seed, frames, n, d, 5, 0.3);
        final WindowResult r =
                Scissor.compress(video, frames, n, d, new ScissorParams(tau, epsilon, null, seed, false));
        int s = 0;
        for (int t = 0; t < frames; t++) {
            final int count = r.spatialCounts()[t];
            final boolean[] seen = new boolean[count];
            for (int i = 0; i < n; i++) {
                final int l = r.spatialLabels()[t * n + i];
                assertTrue(l >= 0 && l < count, "spatial label in range");
                seen[l] = true;
            }
            for (final boolean b : seen) {
                assertTrue(b, "no empty spatial component");
            }
            s += count;
        }
        assertEquals(s, r.spatialTokens());
        final int m = r.tokenCount();
        final boolean[] used = new boolean[m];
        for (final int l : r.temporalLabels()) {
            assertTrue(l >= 0 && l < m);
            used[l] = true;
        }
        for (final boolean b : used) {
            assertTrue(b, "no empty temporal component");
        }
        int merged = 0;
        for (final int c : r.mergedCounts()) {
            merged += c;
        }
        assertEquals(frames * n, merged, "every original token merged exactly once");
        for (final int j : r.assignment()) {
            assertTrue(j >= 0 && j < m);
        }
        for (final float v : r.tokens()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Property(tries = 60)
    void permutingTokensPermutesLabelsButKeepsComponents(
            @ForAll long seed,
            @ForAll @IntRange(min = 2, max = 60) int n,
            @ForAll @IntRange(min = 2, max = 24) int d,
            @ForAll @DoubleRange(min = 0.0, max = 0.99) double tau) {
        final float[] frame = RandomVideos.video(seed, 1, n, d, 4, 0.25);
        final int[] perm = permutation(new SplittableRandom(seed ^ 0x5DEECE66DL), n);
        final float[] permuted = new float[frame.length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(frame, perm[i] * d, permuted, i * d, d);
        }
        final ScissorParams p = ScissorParams.of(tau, 0.05);
        final Scissor.SpatialResult a = Scissor.spatial(frame, n, d, p, SampleOrders.seeded(1));
        final Scissor.SpatialResult b = Scissor.spatial(permuted, n, d, p, SampleOrders.seeded(1));
        assertEquals(a.count(), b.count());
        assertEquals(componentSets(a.labels(), a.count(), null), componentSets(b.labels(), b.count(), perm));
    }

    @Property(tries = 60)
    void budgetModeReturnsExactlyKTokens(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 6) int frames,
            @ForAll @IntRange(min = 1, max = 30) int n,
            @ForAll @IntRange(min = 1, max = 16) int d,
            @ForAll @IntRange(min = 1, max = 200) int k,
            @ForAll @DoubleRange(min = 0.3, max = 0.99) double tau) {
        final float[] video = RandomVideos.video(seed, frames, n, d, 6, 0.3);
        final WindowResult r = Scissor.compress(
                video, frames, n, d, ScissorParams.of(tau, 0.05).withBudget(ScissorParams.Budget.tokens(k)));
        assertEquals(Math.min(k, r.spatialTokens()), r.tokenCount());
    }

    @Property(tries = 150)
    void incrementalWindowEqualsBatch(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 8) int window,
            @ForAll @IntRange(min = 1, max = 4) int hop,
            @ForAll @IntRange(min = 1, max = 14) int extraFrames,
            @ForAll @IntRange(min = 1, max = 30) int n,
            @ForAll @IntRange(min = 1, max = 16) int d,
            @ForAll @DoubleRange(min = 0.2, max = 0.99) double tau,
            @ForAll @DoubleRange(min = 0.0, max = 0.7) double epsilon,
            @ForAll boolean budget,
            @ForAll boolean queryNovelty) {
        final int total = window + extraFrames;
        final float[] video = RandomVideos.video(seed, total, n, d, 5, 0.3);
        ScissorParams p = new ScissorParams(tau, epsilon, null, seed, false);
        if (budget) {
            p = p.withBudget(ScissorParams.Budget.retention(0.15));
        }
        assertIncrementalEqualsBatch(p, seed, video, total, n, d, window, hop, queryNovelty);
    }

    /**
     * Feeds {@code total} frames to a window of W frames and hop H, and checks every emitted window
     * against a fresh window fed only that window's frames (the batch), bit for bit.
     */
    static void assertIncrementalEqualsBatch(
            final ScissorParams p,
            final long seed,
            final float[] video,
            final int total,
            final int n,
            final int d,
            final int window,
            final int hop,
            final boolean queryNovelty) {
        final SlidingWindow incremental = new SlidingWindow(p, SampleOrders.seeded(seed), n, d, n, window, hop);
        int emitted = 0;
        for (int t = 0; t < total; t++) {
            final long seq = 100L + 3L * t;
            final WindowResult r = incremental.push(seq, video, t * n * d);
            if (queryNovelty) {
                incremental.novelty(); // computes the temporal similarities pending at that point
            }
            final boolean due = t + 1 >= window && (t + 1 - window) % hop == 0;
            if (!due) {
                assertNull(r);
                continue;
            }
            assertNotNull(r);
            emitted++;
            final SlidingWindow fresh = new SlidingWindow(p, SampleOrders.seeded(seed), n, d, n, window, window);
            WindowResult batch = null;
            for (int f = t + 1 - window; f <= t; f++) {
                batch = fresh.push(100L + 3L * f, video, f * n * d);
            }
            assertSame(batch, r);
        }
        assertTrue(emitted >= 1);
    }

    @Property(tries = 20)
    void sameInputAndSeedGiveIdenticalBytes(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 5) int frames,
            @ForAll @IntRange(min = 4, max = 40) int n) {
        final int d = 12;
        final float[] video = RandomVideos.video(seed, frames, n, d, 4, 0.3);
        final ScissorParams p = new ScissorParams(0.8, 0.6, null, seed, false);
        assertSame(Scissor.compress(video, frames, n, d, p), Scissor.compress(video.clone(), frames, n, d, p));
    }

    static void assertSame(final WindowResult expected, final WindowResult actual) {
        assertArrayEquals(expected.frameSeqs(), actual.frameSeqs(), "frames");
        assertArrayEquals(expected.spatialCounts(), actual.spatialCounts(), "spatial counts");
        assertArrayEquals(expected.spatialLabels(), actual.spatialLabels(), "spatial labels");
        assertArrayEquals(expected.temporalLabels(), actual.temporalLabels(), "temporal labels");
        assertArrayEquals(expected.assignment(), actual.assignment(), "assignment");
        assertArrayEquals(expected.mergedCounts(), actual.mergedCounts(), "merged counts");
        assertArrayEquals(expected.firstFrameSeq(), actual.firstFrameSeq(), "first frames");
        assertArrayEquals(expected.lastFrameSeq(), actual.lastFrameSeq(), "last frames");
        assertArrayEquals(expected.meanRow(), actual.meanRow(), "rows");
        assertArrayEquals(expected.meanCol(), actual.meanCol(), "cols");
        assertEquals(expected.tokens().length, actual.tokens().length);
        for (int i = 0; i < expected.tokens().length; i++) {
            assertEquals(
                    Float.floatToIntBits(expected.tokens()[i]),
                    Float.floatToIntBits(actual.tokens()[i]),
                    "token value " + i);
        }
    }

    private static Set<Set<Integer>> componentSets(final int[] labels, final int count, final int[] perm) {
        final List<Set<Integer>> sets = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            sets.add(new HashSet<>());
        }
        for (int i = 0; i < labels.length; i++) {
            sets.get(labels[i]).add(perm == null ? i : perm[i]);
        }
        return new HashSet<>(sets);
    }

    private static int[] permutation(final SplittableRandom rnd, final int n) {
        final int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            final int j = rnd.nextInt(i + 1);
            final int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
