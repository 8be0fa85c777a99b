package dev.scissor.encoder.capture;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter for reconnecting: attempt {@code n} (from 0) waits {@code
 * min(max, initial * multiplier^n)}, reduced by a random fraction of up to {@code jitter} so that
 * many cameras that dropped together do not reconnect in lock step. {@link #reset()} after a
 * success starts again from {@code initial}. Not thread-safe.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final double multiplier;
    private final double jitter;
    private final DoubleSupplier random;
    private int attempt;

    /**
     * Creates a backoff with a random jitter.
     *
     * @param initial wait before the first retry
     * @param max the longest wait
     * @param multiplier growth per attempt, at least 1
     * @param jitter fraction in [0, 1] by which a wait may be shortened at random
     */
    public Backoff(final Duration initial, final Duration max, final double multiplier, final double jitter) {
        this(initial, max, multiplier, jitter, () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * Creates a backoff with a given random source (for tests).
     *
     * @param initial wait before the first retry
     * @param max the longest wait
     * @param multiplier growth per attempt, at least 1
     * @param jitter fraction in [0, 1] by which a wait may be shortened at random
     * @param random values in [0, 1)
     */
    public Backoff(
            final Duration initial,
            final Duration max,
            final double multiplier,
            final double jitter,
            final DoubleSupplier random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        if (initialMillis < 0 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("backoff needs 0 <= initial <= max, got " + initial + " and " + max);
        }
        if (!(multiplier >= 1) || !(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException(
                    "backoff needs multiplier >= 1 and jitter in [0, 1], got " + multiplier + " and " + jitter);
        }
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * The wait before the next attempt; advances the attempt count.
     *
     * @return the wait
     */
    public Duration next() {
        final double base = Math.min(maxMillis, initialMillis * Math.pow(multiplier, attempt));
        if (attempt < 1000) {
            attempt++;
        }
        final double r = Math.min(Math.max(random.getAsDouble(), 0), 1);
        return Duration.ofMillis(Math.round(base * (1 - jitter * r)));
    }

    /** Starts again from the initial wait. */
    public void reset() {
        attempt = 0;
    }

    /**
     * Attempts since the last reset.
     *
     * @return the count
     */
    public int attempts() {
        return attempt;
    }
}
