package dev.scissor.compressor.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.internal.SpatialFrame;
import dev.scissor.compressor.internal.SpatialScc;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FrameRingTest {

    private static final int N = 6;
    private static final int D = 4;

    @Test
    void slotsWrapAndTheLayoutListsTheFramesOldestFirst() {
        final FrameRing ring = new FrameRing(N, D, 3);
        final SpatialScc scc = new SpatialScc();
        final SplittableRandom rnd = new SplittableRandom(7);
        final float[][] frames = new float[5][];
        for (int f = 0; f < 5; f++) {
            frames[f] = new float[N * D];
            for (int i = 0; i < frames[f].length; i++) {
                frames[f][i] = (float) rnd.nextDouble(-1, 1);
            }
            if (ring.size() == ring.capacity()) {
                ring.evictOldest();
            }
            final SpatialFrame sf =
                    scc.compute(frames[f], 0, N, D, ScissorParams.defaults(), SampleOrders.seeded(0), 10 + f);
            final int slot = ring.add(10 + f, frames[f], 0, sf);
            assertEquals(f % 3, slot);
            assertEquals(10 + f, ring.newestSeq());
        }
        assertEquals(3, ring.size());
        assertEquals(2, ring.slot(0)); // frames 12, 13, 14 in slots 2, 0, 1
        assertEquals(0, ring.slot(1));

        final WindowLayout w = ring.layout();
        assertEquals(3, w.frames());
        assertArrayEquals(new long[] {12, 13, 14}, w.seqs);
        assertArrayEquals(new int[] {2, 0, 1}, w.slotOf);
        for (int t = 0; t < 3; t++) {
            assertEquals(ring.spatial(w.slotOf[t]).count, w.spatialCounts[t]);
            assertEquals(w.offset[t] + w.spatialCounts[t], w.offset[t + 1]);
            for (int l = 0; l < w.spatialCounts[t]; l++) {
                assertEquals(t, w.frameOf[w.offset[t] + l]);
                assertEquals(l, w.localOf[w.offset[t] + l]);
            }
            final int slot = w.slotOf[t];
            assertArrayEquals(frames[2 + t], Arrays.copyOfRange(ring.x, slot * N * D, (slot + 1) * N * D));
        }
        assertEquals(w.offset[3], w.spatialTokens());
    }
}
