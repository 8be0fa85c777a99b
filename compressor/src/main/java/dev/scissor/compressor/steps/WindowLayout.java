package dev.scissor.compressor.steps;

/**
 * The frames of one emitted window, oldest first, and where its S spatial tokens come from: global
 * spatial token u (frame order, then component order within a frame) is component
 * {@code localOf[u]} of window frame {@code frameOf[u]}.
 */
public final class WindowLayout {

    /** T, frames in the window. */
    final int frames;
    /** S, spatial tokens in the window. */
    final int tokens;
    /** Ring slot of each window frame, [T]. */
    final int[] slotOf;
    /** First global spatial token of each window frame, [T + 1]. */
    final int[] offset;
    /** Sequence number of each window frame, [T]. */
    final long[] seqs;
    /** Spatial tokens of each window frame, [T]. */
    final int[] spatialCounts;
    /** Window frame of each global spatial token (at least S long). */
    final int[] frameOf;
    /** Index within its frame of each global spatial token (at least S long). */
    final int[] localOf;

    WindowLayout(
            final int frames,
            final int tokens,
            final int[] slotOf,
            final int[] offset,
            final long[] seqs,
            final int[] spatialCounts,
            final int[] frameOf,
            final int[] localOf) {
        this.frames = frames;
        this.tokens = tokens;
        this.slotOf = slotOf;
        this.offset = offset;
        this.seqs = seqs;
        this.spatialCounts = spatialCounts;
        this.frameOf = frameOf;
        this.localOf = localOf;
    }

    /** S, spatial tokens in the window. */
    public int spatialTokens() {
        return tokens;
    }

    /** T, frames in the window. */
    public int frames() {
        return frames;
    }
}
