package dev.scissor.compressor.steps;

import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.SpatialFrame;

/**
 * The temporal steps' similarity products: the window's normalised spatial tokens in one buffer
 * (frame by frame from the oldest), and, for the frames added since the last {@link #update}, their
 * float32 similarities with every spatial token of the window in as few, large products as the
 * work arrays allow. The consumer gets every new frame pair once and certifies its decisions, so the
 * product shapes (which depend on when frames were added) do not matter.
 */
final class PairProducts {

    private static final long MAX_PRODUCT = 1 << 22; // floats of one temporal similarity product (16 MiB)

    /** Receives the similarities of one frame pair. */
    @FunctionalInterface
    interface PairSink {
        /**
         * Frame f's spatial tokens (rows) against frame g's (g not after f), at
         * {@code sims[at + i * ld + j]}; for f == g only the entries with j &lt;= i are set.
         *
         * @param f ring slot of the newer frame
         * @param g ring slot of the older frame (or f)
         * @param sims the similarities
         * @param at offset of entry (0, 0)
         * @param ld row stride
         */
        void pair(int f, int g, float[] sims, int at, int ld);
    }

    private final FrameRing ring;
    private final int d;
    // Rows [windowStart, windowEnd) frame by frame from the oldest (frame slot f from rowOf[f]); the
    // newest {@code pending} frames have no similarities yet.
    private float[] normalized = new float[0];
    private int windowStart;
    private int windowEnd;
    private final int[] rowOf;
    private int pending;
    private float[] cross = new float[0];
    private float[] self = new float[0];

    PairProducts(final FrameRing ring) {
        this.ring = ring;
        this.d = ring.d;
        this.rowOf = new int[ring.capacity];
    }

    /** Called before the ring drops its oldest frame. */
    void evicting() {
        windowStart += ring.spatial[ring.head].count;
        pending = Math.min(pending, ring.count - 1);
    }

    /** Called after a frame was added to the ring. */
    void added(final int slot) {
        appendNormalized(slot);
        pending++;
    }

    /**
     * Hands every pair of a frame added since the last call with a frame of the window (itself
     * included) to {@code sink}. The new frames go in blocks of consecutive frames, each with two
     * products: the block's against all earlier frames', and the block's among themselves (lower
     * triangle).
     *
     * @param sink the consumer
     * @return whether there was anything to compute
     */
    boolean update(final PairSink sink) {
        if (pending == 0) {
            return false;
        }
        final int count = ring.count;
        for (int a = count - pending, b; a < count; a = b) {
            final int p0 = rowOf[ring.slot(a)];
            final int before = p0 - windowStart;
            b = a + 1;
            while (b < count && (long) (endRow(b) - p0) * (endRow(b) - windowStart) <= MAX_PRODUCT) {
                b++;
            }
            final int rows = endRow(b - 1) - p0;
            if (cross.length < (long) rows * before) {
                cross = new float[WorkArrays.length((long) rows * before)];
            }
            if (self.length < (long) rows * rows) {
                self = new float[WorkArrays.length((long) rows * rows)];
            }
            Gemm.abt(rows, before, d, normalized, p0 * d, d, normalized, windowStart * d, d, cross, 0, before);
            Gemm.aat(rows, d, normalized, p0 * d, d, self, 0, rows);
            for (int t = a; t < b; t++) {
                final int f = ring.slot(t);
                final int fr = rowOf[f] - p0;
                for (int u = 0; u <= t; u++) {
                    final int g = ring.slot(u);
                    if (u < a) {
                        sink.pair(f, g, cross, fr * before + rowOf[g] - windowStart, before);
                    } else {
                        sink.pair(f, g, self, fr * rows + rowOf[g] - p0, rows);
                    }
                }
            }
        }
        pending = 0;
        return true;
    }

    /** End of window frame t's rows in {@link #normalized}. */
    private int endRow(final int t) {
        final int f = ring.slot(t);
        return rowOf[f] + ring.spatial[f].count;
    }

    /**
     * Appends frame slot's normalised spatial tokens after the window's, compacting the buffer when
     * they do not fit, or growing it to what W frames like these need.
     */
    private void appendNormalized(final int slot) {
        final SpatialFrame sf = ring.spatial[slot];
        if ((long) (windowEnd + sf.count) * d > normalized.length) {
            final int live = windowEnd - windowStart;
            final long needed = (long) (live + sf.count) * d;
            final long grown = Math.max(2 * needed, needed * ring.capacity / ring.count * 5 / 4);
            final float[] to = 2 * needed <= normalized.length
                    ? normalized
                    : new float[(int) Math.min(grown, (long) ring.rows * d)];
            System.arraycopy(normalized, windowStart * d, to, 0, live * d);
            normalized = to;
            for (int t = 0; t < ring.count - 1; t++) {
                rowOf[ring.slot(t)] -= windowStart;
            }
            windowStart = 0;
            windowEnd = live;
        }
        System.arraycopy(sf.normalized, 0, normalized, windowEnd * d, sf.count * d);
        rowOf[slot] = windowEnd;
        windowEnd += sf.count;
    }
}
