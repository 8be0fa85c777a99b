package dev.scissor.encoder.capture;

/**
 * Numbers the frames of one stream so that the numbers keep increasing across reconnects and
 * across restarts of the capture process, without any stored state.
 *
 * <p>A frame's number is its capture time counted in sampling periods since the Unix epoch,
 * {@code floor(timestampMs * fps / 1000)} (at 2 fps: half-seconds since 1970), raised when needed
 * to one more than the previous number and to at least {@code first}:
 *
 * <pre>
 * seq = max(previous + 1, first, floor(timestampMs * fps / 1000))
 * </pre>
 *
 * <p>So frames taken once per period get consecutive numbers (the compressor's reordering grace
 * counts in numbers), a pause or a reconnect leaves a gap (which the compressor accepts), and a
 * restarted process, starting from the current time, continues above every number it gave before,
 * as the compressor requires (a number at or below one already compressed is a {@code LATE} dead
 * letter). The assumptions: the wall clock does not step back, live sources are stamped with the
 * wall clock when grabbed, and the rate of a stream is not lowered between runs (a lower rate
 * gives lower numbers; use {@code first} or a new stream id then). Files read faster than real
 * time are stamped ahead of the clock; restarting such a stream before its media time has passed
 * needs {@code first} above the last number, or a new stream id.
 *
 * <p>With {@code fps == 0} (every frame kept) the unit is a millisecond. Not thread-safe.
 */
public final class SequenceNumbers {

    /** Returned by {@link #last()} before the first frame. */
    public static final long NONE = Long.MIN_VALUE;

    private final double fps;
    private final long first;
    private long last = NONE;

    /**
     * Creates a numbering.
     *
     * @param fps the sampling rate (0: every frame, numbered in milliseconds)
     * @param first the lowest number to hand out (0 for none)
     */
    public SequenceNumbers(final double fps, final long first) {
        if (!(fps >= 0) || Double.isInfinite(fps)) {
            throw new IllegalArgumentException("fps must be >= 0, got " + fps);
        }
        if (first < 0) {
            throw new IllegalArgumentException("first sequence must be >= 0, got " + first);
        }
        this.fps = fps;
        this.first = first;
    }

    /**
     * The number of a frame captured at {@code timestampMs}.
     *
     * @param timestampMs capture time, epoch milliseconds
     * @return a number above every number returned before
     */
    public long next(final long timestampMs) {
        final long slot = fps == 0 ? timestampMs : (long) Math.floor(timestampMs * fps / 1000.0);
        long seq = Math.max(first, slot);
        if (last != NONE && seq <= last) {
            seq = last + 1;
        }
        last = seq;
        return seq;
    }

    /**
     * The last number handed out.
     *
     * @return it, or {@link #NONE}
     */
    public long last() {
        return last;
    }
}
