package dev.scissor.compressor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SlidingWindowRejectionTest {

    /** A full window that rejects a frame evicts nothing: it goes on as if the frame never came. */
    @Test
    void aFullWindowRejectsABadFrameWithoutEvicting() {
        final ScissorParams threshold = ScissorParams.defaults();
        final ScissorParams budget = threshold.withBudget(ScissorParams.Budget.tokens(7));
        for (final ScissorParams params :
                new ScissorParams[] {threshold, budget, budget.withMode(ScissorParams.Mode.REFINED)}) {
            final int n = 16;
            final int d = 8;
            final float[] video = RandomVideos.video(11, 6, n, d, 3, 0.1);
            final float[] bad = new float[n * d];
            bad[5] = Float.POSITIVE_INFINITY;
            final SlidingWindow clean = new SlidingWindow(params, SampleOrders.seeded(0), n, d, 4, 3, 1);
            final SlidingWindow rejected = new SlidingWindow(params, SampleOrders.seeded(0), n, d, 4, 3, 1);
            for (int t = 0; t < 6; t++) {
                final WindowResult a = clean.push(t, video, t * n * d);
                if (t >= 3) {
                    final long seq = t;
                    assertThrows(IllegalArgumentException.class, () -> rejected.push(seq, bad, 0));
                    assertEquals(3, rejected.size());
                    assertEquals(t - 1, rejected.newestSeq());
                }
                final WindowResult b = rejected.push(t, video, t * n * d);
                assertEquals(a == null, b == null);
                if (a != null) {
                    assertArrayEquals(a.tokens(), b.tokens());
                    assertArrayEquals(a.assignment(), b.assignment());
                    assertArrayEquals(a.temporalLabels(), b.temporalLabels());
                    assertArrayEquals(a.frameSeqs(), b.frameSeqs());
                }
                assertEquals(clean.novelty(), rejected.novelty());
            }
        }
    }
}
