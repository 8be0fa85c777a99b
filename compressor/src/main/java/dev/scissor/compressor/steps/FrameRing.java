package dev.scissor.compressor.steps;

import dev.scissor.compressor.internal.SpatialFrame;

/**
 * The window's last W frames in ring slots: each frame's N input tokens (rows
 * {@code [slot * N, slot * N + N)} of {@link #x}), their norms, its sequence number and its spatial
 * SCC result. Window frame t (0 = oldest) is in slot {@code (head + t) % W}.
 */
public final class FrameRing {

    final int n;
    final int d;
    final int capacity;
    /** Rows of {@link #x}: W * N. */
    final int rows;

    final float[] x;
    final double[] xNorm; // float32-accurate norms of the ring's tokens (bounds, zero test)
    final long[] seq;
    final SpatialFrame[] spatial;
    int head;
    int count;
    private int[] frameOf = new int[0];
    private int[] localOf = new int[0];

    /**
     * Creates an empty ring; the caller has checked that W * N * D floats fit one array.
     *
     * @param tokensPerFrame N
     * @param dim D
     * @param windowFrames W
     */
    public FrameRing(final int tokensPerFrame, final int dim, final int windowFrames) {
        this.n = tokensPerFrame;
        this.d = dim;
        this.capacity = windowFrames;
        this.rows = windowFrames * tokensPerFrame;
        this.x = new float[rows * dim];
        this.xNorm = new double[rows];
        this.seq = new long[windowFrames];
        this.spatial = new SpatialFrame[windowFrames];
    }

    /** Frames held. */
    public int size() {
        return count;
    }

    /** W. */
    public int capacity() {
        return capacity;
    }

    /** The ring slot of window frame t (0 = oldest). */
    public int slot(final int t) {
        return (head + t) % capacity;
    }

    /** Sequence number of the newest frame; the ring must not be empty. */
    public long newestSeq() {
        return seq[slot(count - 1)];
    }

    /** The spatial result of the frame in a slot. */
    public SpatialFrame spatial(final int slot) {
        return spatial[slot];
    }

    /** Drops the oldest frame. */
    public void evictOldest() {
        head = (head + 1) % capacity;
        count--;
    }

    /**
     * Appends a frame after the newest; the ring must not be full.
     *
     * @param frameSeq the frame's sequence number
     * @param tokens the frame's tokens, [N, D] row-major from {@code off}
     * @param off offset of the frame's first value
     * @param frame the frame's spatial SCC result
     * @return the frame's slot
     */
    public int add(final long frameSeq, final float[] tokens, final int off, final SpatialFrame frame) {
        final int len = n * d;
        final int slot = (head + count) % capacity;
        System.arraycopy(tokens, off, x, slot * len, len);
        spatial[slot] = frame;
        for (int r = 0; r < n; r++) {
            xNorm[slot * n + r] = frame.inputNorms[r];
        }
        seq[slot] = frameSeq;
        count++;
        return slot;
    }

    /** The frames held now as one window, oldest first. */
    public WindowLayout layout() {
        final int frames = count;
        final int[] slotOf = new int[frames];
        final int[] offset = new int[frames + 1];
        final long[] seqs = new long[frames];
        final int[] spatialCounts = new int[frames];
        for (int t = 0; t < frames; t++) {
            slotOf[t] = (head + t) % capacity;
            seqs[t] = seq[slotOf[t]];
            spatialCounts[t] = spatial[slotOf[t]].count;
            offset[t + 1] = offset[t] + spatialCounts[t];
        }
        final int s = offset[frames];
        if (frameOf.length < s) {
            frameOf = new int[s];
            localOf = new int[s];
        }
        for (int t = 0; t < frames; t++) {
            for (int l = 0; l < spatialCounts[t]; l++) {
                frameOf[offset[t] + l] = t;
                localOf[offset[t] + l] = l;
            }
        }
        return new WindowLayout(frames, s, slotOf, offset, seqs, spatialCounts, frameOf, localOf);
    }
}
