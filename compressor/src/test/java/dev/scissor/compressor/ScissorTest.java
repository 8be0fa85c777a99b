package dev.scissor.compressor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScissorTest {

    @Test
    void zeroNormTokenHasNoEdgesEvenBelowZeroTau() {
        // Three tokens: two opposite vectors and a zero vector; tau = -0.5 connects the first two only.
        final float[] frame = {1, 0, -1, 0.5f, 0, 0};
        final Scissor.SpatialResult r =
                Scissor.spatial(frame, 3, 2, ScissorParams.of(-0.5, 0.05), SampleOrders.seeded(0));
        // cos(t0, t1) = -1/sqrt(1.25) = -0.894 < -0.5: no edge either; zero token isolated.
        assertEquals(3, r.count());
        final Scissor.SpatialResult all =
                Scissor.spatial(frame, 3, 2, ScissorParams.of(-1.0, 0.05), SampleOrders.seeded(0));
        assertEquals(2, all.count(), "t0 and t1 join at tau=-1, the zero token stays alone");
        assertEquals(all.labels()[0], all.labels()[1]);
        assertTrue(all.labels()[2] != all.labels()[0]);
        assertArrayEquals(new float[] {0, 0}, new float[] {
            all.tokens()[all.labels()[2] * 2], all.tokens()[all.labels()[2] * 2 + 1]
        });
    }

    @Test
    void chainOfSimilarTokensIsOneComponent() {
        // Tokens on a quarter circle, 10 degrees apart: neighbours have cos 0.985, the ends cos 0.
        final int n = 10;
        final float[] frame = new float[n * 2];
        for (int i = 0; i < n; i++) {
            final double a = Math.toRadians(i * 10.0);
            frame[2 * i] = (float) Math.cos(a);
            frame[2 * i + 1] = (float) Math.sin(a);
        }
        final Scissor.SpatialResult r =
                Scissor.spatial(frame, n, 2, ScissorParams.of(0.98, 0.05), SampleOrders.seeded(0));
        assertEquals(1, r.count(), "single linkage chains the whole arc");
        final Scissor.SpatialResult strict =
                Scissor.spatial(frame, n, 2, ScissorParams.of(0.99, 0.05), SampleOrders.seeded(0));
        assertEquals(n, strict.count());
    }

    @Test
    void componentsAreOrderedByTheirHighestDegreeMember() {
        // t0 alone; t1..t3 a triangle (degree 3 incl. self); t4 alone. Order: t0, triangle, t4.
        final float[] frame = {0, 1, 1, 0, 1, 0.01f, 1, -0.01f, -1, 0};
        final Scissor.SpatialResult r =
                Scissor.spatial(frame, 5, 2, ScissorParams.of(0.9, 0.05), SampleOrders.seeded(0));
        assertArrayEquals(new int[] {0, 1, 1, 1, 2}, r.labels());
    }

    @Test
    void budgetAboveSpatialTokensKeepsThemAll() {
        final float[] video = RandomVideos.video(7, 3, 10, 6, 3, 0.1);
        final WindowResult r = Scissor.compress(
                video, 3, 10, 6, ScissorParams.of(0.9, 0.05).withBudget(ScissorParams.Budget.tokens(10_000)));
        assertEquals(r.spatialTokens(), r.tokenCount());
        final WindowResult one = Scissor.compress(
                video, 3, 10, 6, ScissorParams.of(0.9, 0.05).withBudget(ScissorParams.Budget.tokens(1)));
        assertEquals(1, one.tokenCount());
    }

    @Test
    void retentionBudgetRoundsTheWindowTokenCount() {
        assertEquals(10, ScissorParams.Budget.retention(0.1).tokensFor(100));
        assertEquals(1, ScissorParams.Budget.retention(0.001).tokensFor(100));
        assertEquals(627, ScissorParams.Budget.retention(0.1).tokensFor(6272));
    }

    @Test
    void parametersAreValidatedWithClearMessages() {
        final IllegalArgumentException tau =
                assertThrows(IllegalArgumentException.class, () -> ScissorParams.of(1.5, 0.05));
        assertTrue(tau.getMessage().contains("tau"));
        assertEquals(1.5, new ScissorParams(1.5, 0.05, null, 0, true).tau());
        assertThrows(IllegalArgumentException.class, () -> ScissorParams.of(Double.NaN, 0.05));
        assertThrows(IllegalArgumentException.class, () -> ScissorParams.of(0.9, -0.1));
        assertThrows(IllegalArgumentException.class, () -> ScissorParams.Budget.tokens(0));
        assertThrows(IllegalArgumentException.class, () -> ScissorParams.Budget.retention(1.5));
        assertThrows(IllegalArgumentException.class, () -> new ScissorParams.Budget(3, 0.5));
    }

    @Test
    void sampleSizeFollowsTheOriginal() {
        final ScissorParams p = ScissorParams.defaults();
        assertEquals(196, p.sampleSize(196));
        assertEquals(3233, p.sampleSize(3233));
        assertEquals(3233, p.sampleSize(3234));
        assertEquals(3498, p.sampleSize(6272));
        assertEquals(132, ScissorParams.of(0.9, 0.2).sampleSize(196));
        assertEquals(5, ScissorParams.of(0.9, 0).sampleSize(5));
    }

    @Test
    void windowRejectsBadFramesWithoutChangingState() {
        final SlidingWindow w = new SlidingWindow(ScissorParams.defaults(), SampleOrders.seeded(0), 4, 2, 2, 2, 1);
        final float[] ok = {1, 0, 0, 1, 1, 1, -1, 0};
        assertNull(w.push(1, ok, 0));
        final float[] nan = ok.clone();
        nan[3] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> w.push(2, nan, 0));
        assertThrows(IllegalArgumentException.class, () -> w.push(1, ok, 0), "sequence must increase");
        assertThrows(IllegalArgumentException.class, () -> w.push(2, new float[3], 0));
        assertEquals(1, w.size());
        assertEquals(2, w.push(2, ok, 0).frames());
    }

    @Test
    void windowAcceptsHugeFiniteValues() {
        final SlidingWindow w = new SlidingWindow(ScissorParams.defaults(), SampleOrders.seeded(0), 4, 2, 2, 2, 1);
        final float[] huge = {1e30f, 0, 0, 1e30f, 1e30f, 1e30f, -1e30f, 0}; // squared norms overflow float32
        assertNull(w.push(1, huge, 0));
        assertEquals(2, w.push(2, huge, 0).frames());
    }

    @Test
    void noveltyIsZeroForARepeatedFrameAndOneForAnUnrelatedOne() {
        for (final ScissorParams params : new ScissorParams[] {
            ScissorParams.defaults(), ScissorParams.defaults().withBudget(ScissorParams.Budget.tokens(5))
        }) {
            final float[] a = RandomVideos.video(1, 1, 12, 8, 3, 0.05);
            final float[] b = new float[a.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (i % 8 == 0 ? 1f : 0f) * (i / 8 % 2 == 0 ? 1 : -1); // +-e0: cos with a's tokens < 0.9
            }
            final SlidingWindow w = new SlidingWindow(params, SampleOrders.seeded(0), 12, 8, 4, 4, 4);
            w.add(1, a, 0);
            assertEquals(0.0, w.novelty(), "one frame has nothing before it");
            w.add(2, a, 0);
            assertEquals(0.0, w.novelty());
            w.add(3, b, 0);
            assertEquals(1.0, w.novelty());
            assertEquals(3, w.newestSeq());
        }
    }

    @Test
    void addThenEmitEqualsPush() {
        final float[] video = RandomVideos.video(3, 6, 10, 6, 3, 0.1);
        final SlidingWindow pushed =
                new SlidingWindow(ScissorParams.defaults(), SampleOrders.seeded(0), 10, 6, 5, 4, 2);
        final SlidingWindow added = new SlidingWindow(ScissorParams.defaults(), SampleOrders.seeded(0), 10, 6, 5, 4, 2);
        WindowResult last = null;
        for (int t = 0; t < 6; t++) {
            final WindowResult r = pushed.push(t, video, t * 60);
            added.add(t, video, t * 60);
            if (r != null) {
                last = r;
                final WindowResult e = added.emit();
                assertArrayEquals(r.tokens(), e.tokens());
                assertArrayEquals(r.assignment(), e.assignment());
            }
        }
        assertEquals(5, last.frameSeqs()[3]);
    }
}
