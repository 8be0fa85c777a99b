package dev.scissor.encoder.capture;

/**
 * Picks frames at a target rate from their presentation timestamps, as video LLMs sample (2 fps by
 * default): time is cut into slots of {@code 1 / fps} starting at the first frame, and the first
 * frame in each slot is taken. A source slower than the target gives every frame; a faster one
 * gives one frame per slot, so a 25 fps source sampled at 2 fps yields exactly 2 frames per second
 * of media, and a 10 fps clip of 79.5 s yields 159.
 *
 * <p>Timestamps may start anywhere (RTSP starts below zero). A timestamp that jumps back before
 * the slot of the last frame taken (a new connection, a wrapped clock) restarts the slots there.
 * Not thread-safe.
 */
public final class RateSampler {

    private static final long UNSET = Long.MIN_VALUE;

    private final long periodMicros;
    private long nextDue = UNSET;

    /**
     * Creates a sampler.
     *
     * @param fps target frames per second; 0 takes every frame
     * @throws IllegalArgumentException if {@code fps} is negative, not finite, or above 1000
     */
    public RateSampler(final double fps) {
        if (!(fps >= 0 && fps <= 1000)) {
            throw new IllegalArgumentException("sampling rate must be in [0, 1000] fps, got " + fps);
        }
        this.periodMicros = fps == 0 ? 0 : Math.max(1, Math.round(1_000_000 / fps));
    }

    /**
     * Decides whether the frame at {@code timestampMicros} is taken.
     *
     * @param timestampMicros the frame's presentation time in microseconds
     * @return true if the frame is the first of its slot
     */
    public boolean accept(final long timestampMicros) {
        if (periodMicros == 0) {
            return true;
        }
        if (nextDue == UNSET || timestampMicros < nextDue - periodMicros) {
            nextDue = timestampMicros + periodMicros;
            return true;
        }
        if (timestampMicros < nextDue) {
            return false;
        }
        final long slotsLate = (timestampMicros - nextDue) / periodMicros;
        nextDue += (slotsLate + 1) * periodMicros;
        return true;
    }

    /**
     * Whether a frame at {@code timestampMicros} would be taken, without taking it.
     *
     * @param timestampMicros a presentation time in microseconds
     * @return what {@link #accept(long)} would return now
     */
    public boolean wouldAccept(final long timestampMicros) {
        return periodMicros == 0
                || nextDue == UNSET
                || timestampMicros < nextDue - periodMicros
                || timestampMicros >= nextDue;
    }

    /** Forgets the slots: the next frame is taken and starts new ones. */
    public void reset() {
        nextDue = UNSET;
    }

    /**
     * The slot length.
     *
     * @return microseconds between sampled frames, 0 when every frame is taken
     */
    public long periodMicros() {
        return periodMicros;
    }
}
