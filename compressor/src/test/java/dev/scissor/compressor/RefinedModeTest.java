package dev.scissor.compressor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The refined mode (ScissorParams.Mode.REFINED): exact K, determinism, incremental == batch, no chaining. */
class RefinedModeTest {

    private static ScissorParams refined(final double tau, final long seed, final ScissorParams.Budget budget) {
        return new ScissorParams(tau, 0.05, budget, seed, false, ScissorParams.Mode.REFINED);
    }

    @Property(tries = 80)
    void yieldsExactlyKTokensAndAPartition(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 6) int frames,
            @ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(min = 1, max = 24) int d,
            @ForAll @DoubleRange(min = 0.2, max = 0.99) double tau,
            @ForAll @IntRange(min = 1, max = 300) int k) {
        final float[] video = RandomVideos.video(seed, frames, n, d, 5, 0.3);
        final WindowResult r =
                Scissor.compress(video, frames, n, d, refined(tau, seed, ScissorParams.Budget.tokens(k)));
        final int m = Math.min(k, frames * n);
        assertEquals(m, r.tokenCount(), "exactly min(K, T*N) tokens");
        assertEquals(m * d, r.tokens().length);
        int merged = 0;
        for (final int c : r.mergedCounts()) {
            merged += c;
        }
        assertEquals(frames * n, merged, "every original token merged exactly once");
        final int[] counts = new int[m];
        for (final int j : r.assignment()) {
            assertTrue(j >= 0 && j < m);
            counts[j]++;
        }
        for (int j = 0; j < m; j++) {
            assertEquals(counts[j], r.mergedCounts()[j]);
            assertTrue(r.firstFrameSeq()[j] <= r.lastFrameSeq()[j]);
        }
        for (final int l : r.temporalLabels()) {
            assertTrue(l >= 0 && l < m);
        }
        for (final float v : r.tokens()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Property(tries = 20)
    void sameInputAndSeedGiveIdenticalBytes(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 5) int frames,
            @ForAll @IntRange(min = 4, max = 40) int n) {
        final int d = 12;
        final float[] video = RandomVideos.video(seed, frames, n, d, 4, 0.3);
        final ScissorParams p = refined(0.8, seed, ScissorParams.Budget.retention(0.2));
        ScissorProperties.assertSame(
                Scissor.compress(video, frames, n, d, p), Scissor.compress(video.clone(), frames, n, d, p));
    }

    @Property(tries = 80)
    void incrementalWindowEqualsBatch(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 8) int window,
            @ForAll @IntRange(min = 1, max = 4) int hop,
            @ForAll @IntRange(min = 1, max = 14) int extraFrames,
            @ForAll @IntRange(min = 1, max = 30) int n,
            @ForAll @IntRange(min = 1, max = 16) int d,
            @ForAll @DoubleRange(min = 0.2, max = 0.99) double tau,
            @ForAll @DoubleRange(min = 0.02, max = 0.5) double retention) {
        final int total = window + extraFrames;
        final float[] video = RandomVideos.video(seed, total, n, d, 5, 0.3);
        final ScissorParams p = refined(tau, seed, ScissorParams.Budget.retention(retention));
        ScissorProperties.assertIncrementalEqualsBatch(p, seed, video, total, n, d, window, hop, false);
    }

    /**
     * A chain: 2 frames of 8 tokens on a quarter circle in the (x, y) plane, each step 1/8 of it, so
     * neighbours are very similar but the ends are orthogonal. With K = 2, classic budget mode cuts
     * the single-linkage tree at its weakest link and, since every token is linked to the next, keeps
     * one component holding all tokens but one (the chain); refined splits the arc in two halves.
     */
    @Test
    void chainIsSplitByRefinedButNotByClassic() {
        final int frames = 2;
        final int n = 8;
        final int d = 2;
        final float[] video = new float[frames * n * d];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < n; i++) {
                // frame 0 holds even arc positions, frame 1 odd ones; the arc spans [0, 90) degrees
                final double angle = Math.toRadians(90.0 * (2 * i + t) / (2 * n));
                // a slightly growing step, so the weakest link is at the far end of the arc
                final double bent = angle * (1.0 + 0.01 * (2 * i + t));
                video[(t * n + i) * d] = (float) Math.cos(bent);
                video[(t * n + i) * d + 1] = (float) Math.sin(bent);
            }
        }
        final ScissorParams.Budget two = ScissorParams.Budget.tokens(2);
        final ScissorParams base = new ScissorParams(1.0, 0.05, two, 0L, false); // tau 1: no spatial merging
        final WindowResult classic = Scissor.compress(video, frames, n, d, base);
        assertEquals(2, classic.tokenCount());
        final int biggestClassic = Math.max(classic.mergedCounts()[0], classic.mergedCounts()[1]);
        final int[] classicComponent = new int[2];
        for (final int l : classic.temporalLabels()) {
            classicComponent[l]++;
        }
        assertEquals(
                frames * n - 1,
                Math.max(classicComponent[0], classicComponent[1]),
                "classic: one component holds the whole chain but its last link");

        final WindowResult r = Scissor.compress(video, frames, n, d, base.withMode(ScissorParams.Mode.REFINED));
        assertEquals(2, r.tokenCount());
        final int biggestRefined = Math.max(r.mergedCounts()[0], r.mergedCounts()[1]);
        assertTrue(
                biggestRefined <= frames * n * 5 / 8,
                "refined: the arc split near its middle, got " + r.mergedCounts()[0] + " + " + r.mergedCounts()[1]);
        assertTrue(biggestClassic > biggestRefined);
        // Each refined token covers one contiguous piece of the arc (arc position p = 2i + t).
        final int[] byArc = new int[frames * n];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < n; i++) {
                byArc[2 * i + t] = r.assignment()[t * n + i];
            }
        }
        int changes = 0;
        for (int p = 1; p < byArc.length; p++) {
            changes += byArc[p] != byArc[p - 1] ? 1 : 0;
        }
        assertEquals(1, changes, "two contiguous arcs");
    }

    @Test
    void refinedNeedsABudget() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new ScissorParams(0.9, 0.05, null, 0L, false, ScissorParams.Mode.REFINED));
        assertThrows(
                IllegalArgumentException.class, () -> ScissorParams.defaults().withMode(ScissorParams.Mode.REFINED));
        assertEquals(ScissorParams.Mode.CLASSIC, ScissorParams.defaults().mode());
        assertEquals(ScissorParams.Mode.REFINED, ScissorParams.Mode.parse("Refined"));
        assertThrows(IllegalArgumentException.class, () -> ScissorParams.Mode.parse("fancy"));
    }

    @Test
    void moreIterationsForASmallerBudget() {
        final int rows = 16 * 196;
        assertEquals(4, dev.scissor.compressor.internal.Refinement.lloydSteps(rows, 157));
        assertEquals(3, dev.scissor.compressor.internal.Refinement.lloydSteps(rows, 220));
        assertEquals(2, dev.scissor.compressor.internal.Refinement.lloydSteps(rows, 314));
        assertEquals(2, dev.scissor.compressor.internal.Refinement.lloydSteps(rows, 627));
        assertEquals(2, dev.scissor.compressor.internal.Refinement.lloydSteps(rows, 1098));
        assertEquals(4, dev.scissor.compressor.internal.Refinement.lloydSteps(rows, 1));
    }

    @Test
    void identicalTokensStillGiveExactlyK() {
        final int frames = 3;
        final int n = 4;
        final int d = 3;
        final float[] video = new float[frames * n * d];
        for (int i = 0; i < frames * n; i++) {
            video[i * d] = 1f;
        }
        video[5 * d + 1] = 0f; // all identical
        final WindowResult r = Scissor.compress(video, frames, n, d, refined(0.9, 0L, ScissorParams.Budget.tokens(5)));
        assertEquals(5, r.tokenCount());
        final WindowResult zeros = Scissor.compress(
                new float[frames * n * d], frames, n, d, refined(0.9, 0L, ScissorParams.Budget.tokens(7)));
        assertEquals(7, zeros.tokenCount());
    }
}
