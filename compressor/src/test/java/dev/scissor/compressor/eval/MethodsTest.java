package dev.scissor.compressor.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.ScissorParams;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MethodsTest {

    /** 8 tokens of width 3: four near (1, 0, 0), then four near (0, 0, 1). */
    private static final float[] TWO_CLUSTERS = {
        1, 0.1f, 0, 1, 0.2f, 0, 1, -0.1f, 0, 1, 0.05f, 0, 0, 0.1f, 1, 0, -0.2f, 1, 0, 0.3f, 1, 0, 0, 1
    };

    private static float[] mean(final float[] x, final int from, final int to, final int d) {
        final float[] m = new float[d];
        for (int i = from; i < to; i++) {
            for (int l = 0; l < d; l++) {
                m[l] += x[i * d + l] / (to - from);
            }
        }
        return m;
    }

    private static float[] randomVideo(final long seed, final int n) {
        final SplittableRandom r = new SplittableRandom(seed);
        final float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void tomeMergesTwoClustersIntoTheirMeans() {
        final Reduction r = new ToMe().reduce(TWO_CLUSTERS, 1, 8, 3, 2);
        assertEquals(2, r.count());
        assertArrayEquals(mean(TWO_CLUSTERS, 0, 4, 3), Arrays.copyOfRange(r.tokens(), 0, 3), 1e-6f);
        assertArrayEquals(mean(TWO_CLUSTERS, 4, 8, 3), Arrays.copyOfRange(r.tokens(), 3, 6), 1e-6f);
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1}, r.assignment());
    }

    @Test
    void tomeReachesEveryCountExactly() {
        final float[] v = randomVideo(3, 4 * 16 * 8);
        for (final int k : new int[] {1, 5, 17, 40, 64}) {
            final Reduction r = new ToMe().reduce(v, 4, 16, 8, k);
            assertEquals(k, r.count());
            assertTrue(Arrays.stream(r.assignment()).allMatch(a -> a >= 0 && a < k));
        }
    }

    @Test
    void l2NormKeepsTheLargestNormsInOrderTiesToLowerIndex() {
        // norms 1, 3, 2, 3, 0.5 (D = 2)
        final float[] v = {1, 0, 0, 3, 2, 0, 3, 0, 0.5f, 0};
        final Reduction r = new L2NormTopK().reduce(v, 1, 5, 2, 2);
        assertArrayEquals(new float[] {0, 3, 3, 0}, r.tokens());
        final Reduction r3 = new L2NormTopK().reduce(v, 1, 5, 2, 3);
        assertArrayEquals(new float[] {0, 3, 2, 0, 3, 0}, r3.tokens());
    }

    @Test
    void poolingAveragesTheGridCells() {
        // one frame of a 4x4 grid, D = 1, value = index; K = 4 -> 2x2 cells
        final float[] v = new float[16];
        for (int i = 0; i < 16; i++) {
            v[i] = i;
        }
        final Reduction r = new UniformPooling().reduce(v, 1, 16, 1, 4);
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, r.tokens(), 1e-6f);
        assertArrayEquals(new int[] {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}, r.assignment());
        // two frames, K = 2 -> one cell per frame: the frame means
        final float[] two = new float[32];
        for (int i = 0; i < 32; i++) {
            two[i] = i;
        }
        assertArrayEquals(
                new float[] {7.5f, 23.5f},
                new UniformPooling().reduce(two, 2, 16, 1, 2).tokens(),
                1e-6f);
    }

    @Test
    void poolingUnevenCellsPartitionTheGrid() {
        for (final int[] ng : new int[][] {{14, 3}, {14, 5}, {7, 7}, {5, 2}, {14, 1}}) {
            int prev = 0;
            for (int p = 0; p < ng[0]; p++) {
                final int c = UniformPooling.cellOf(p, ng[0], ng[1]);
                assertTrue(c == prev || c == prev + 1, "cells are contiguous");
                assertEquals((long) c * ng[0] / ng[1] <= p, true);
                prev = c;
            }
            assertEquals(ng[1] - 1, prev);
        }
    }

    @Test
    void randomIsSeededAndSelectsDistinctOriginals() {
        final float[] v = randomVideo(5, 2 * 16 * 4);
        final Reduction a = new RandomSelection(7).reduce(v, 2, 16, 4, 10);
        final Reduction b = new RandomSelection(7).reduce(v, 2, 16, 4, 10);
        final Reduction c = new RandomSelection(8).reduce(v, 2, 16, 4, 10);
        assertEquals(10, a.count());
        assertArrayEquals(a.tokens(), b.tokens());
        assertFalse(Arrays.equals(a.tokens(), c.tokens()));
        final Set<Integer> rows = new HashSet<>();
        for (int j = 0; j < 10; j++) {
            final float first = a.tokens()[j * 4];
            int found = -1;
            for (int i = 0; i < 32; i++) {
                if (v[i * 4] == first && v[i * 4 + 1] == a.tokens()[j * 4 + 1]) {
                    found = i;
                }
            }
            assertTrue(found >= 0, "a kept token is an original");
            assertTrue(rows.add(found), "no original twice");
        }
    }

    @Test
    void scissorBudgetGivesExactlyK() {
        final float[] v = randomVideo(11, 4 * 16 * 8);
        for (final int k : new int[] {1, 3, 10, 20, 64}) {
            assertEquals(k, new ScissorBudget().reduce(v, 4, 16, 8, k).count());
        }
    }

    @Test
    void calibratedBudgetGivesExactlyKAndItsTauFollowsTheRetention() {
        final float[] v = randomVideo(11, 4 * 16 * 8);
        for (final int k : new int[] {1, 3, 10, 20, 64}) {
            assertEquals(k, new ScissorBudgetCalibrated().reduce(v, 4, 16, 8, k).count());
        }
        assertEquals(0.9, ScissorParams.calibratedSpatialTau(0.05), 1e-12);
        assertEquals(0.9, ScissorParams.calibratedSpatialTau(0.1), 1e-12);
        assertEquals(0.935, ScissorParams.calibratedSpatialTau(0.15), 1e-12);
        assertEquals(0.97, ScissorParams.calibratedSpatialTau(0.2), 1e-12);
        assertEquals(0.97, ScissorParams.calibratedSpatialTau(0.35), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ScissorParams.calibratedSpatialTau(0));
    }

    @Test
    void scissorThresholdFindsTheTwoClusters() {
        final Reduction r = new ScissorThreshold().reduce(TWO_CLUSTERS, 1, 8, 3, 2);
        assertEquals(2, r.count());
        assertTrue(r.note().startsWith("tau="));
        final float[] v = randomVideo(12, 4 * 16 * 8);
        final Reduction near = new ScissorThreshold().reduce(v, 4, 16, 8, 20);
        assertTrue(Math.abs(near.count() - 20) <= 3, "calibrated count " + near.count());
    }

    @Test
    void dtdKeepsFrameZeroAndTheMostChangedSlots() {
        // 3 frames of 2 tokens (D = 2): frame 1 changes slot 1, frame 2 changes slot 0 a little
        final float[] v = {1, 0, 0, 1, /* f1 */ 1, 0, 1, 0, /* f2 */ 1, 0.2f, 1, 0};
        final Reduction r = new DtdDrop().reduce(v, 3, 2, 2, 3);
        assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0}, r.tokens());
        final Reduction r4 = new DtdDrop().reduce(v, 3, 2, 2, 4);
        assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0, 1, 0.2f}, r4.tokens());
        assertEquals(1, new DtdDrop().reduce(v, 3, 2, 2, 1).count());
    }

    @Test
    void dycokeKeepsFrameZeroWholeAtHighRetentionAndHitsK() {
        final float[] v = randomVideo(13, 8 * 16 * 4);
        final Reduction r = new DyCokeTtm().reduce(v, 8, 16, 4, 64);
        assertEquals(64, r.count());
        assertArrayEquals(Arrays.copyOfRange(v, 0, 16 * 4), Arrays.copyOfRange(r.tokens(), 0, 16 * 4));
        assertEquals(6, new DyCokeTtm().reduce(v, 8, 16, 4, 6).count());
    }

    @Test
    void fastvidCutsAtASceneChangeAndStaysNearK() {
        // 8 frames: frames 0-3 near one direction, 4-7 near an orthogonal one
        final int t = 8;
        final int n = 16;
        final int d = 4;
        final float[] v = randomVideo(14, t * n * d);
        for (int f = 0; f < t; f++) {
            for (int i = 0; i < n; i++) {
                v[(f * n + i) * d + (f < 4 ? 0 : 1)] += 10;
            }
        }
        final var segs = FastVidLite.segments(v, t, n, d);
        assertTrue(segs.stream().anyMatch(s -> s[0] == 4), "a cut between frames 3 and 4");
        final Reduction r = new FastVidLite().reduce(v, t, n, d, 26);
        assertTrue(Math.abs(r.count() - 26) <= 4, "count " + r.count());
    }

    @Test
    void everyMethodReturnsConsistentShapes() {
        final float[] v = randomVideo(15, 4 * 16 * 8);
        for (final String name : Methods.ALL) {
            final Method m = Methods.byName(name, 1);
            for (final int k : new int[] {3, 13, 26}) {
                final Reduction r = m.reduce(v, 4, 16, 8, k);
                assertTrue(r.count() >= 1, name);
                assertEquals(r.count() * 8, r.tokens().length, name);
                if (r.assignment() != null) {
                    assertEquals(64, r.assignment().length, name);
                    assertTrue(Arrays.stream(r.assignment()).allMatch(a -> a >= 0 && a < r.count()), name);
                }
            }
        }
        assertNotEquals(0, Methods.ALL.size());
    }
}
