package dev.scissor.encoder.capture;

import java.time.Duration;
import java.util.Objects;

/**
 * How a live source reconnects (see {@link ReconnectingFrameSource}).
 *
 * @param initialBackoff wait before the first retry
 * @param maxBackoff longest wait between attempts
 * @param multiplier growth of the wait per failed attempt
 * @param jitter fraction in [0, 1] by which each wait is shortened at random
 * @param maxAttempts failed attempts in a row (attempts that fail, or connections that drop before
 *     delivering a frame) after which the source gives up; -1 for never
 */
public record ReconnectPolicy(
        Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter, int maxAttempts) {

    /** 0.5 s doubling to 30 s, jitter 0.5, never give up. */
    public static final ReconnectPolicy DEFAULT =
            new ReconnectPolicy(Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, 0.5, -1);

    // Validates (the Backoff constructor checks the rest).
    public ReconnectPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < -1) {
            throw new IllegalArgumentException("maxAttempts must be >= -1, got " + maxAttempts);
        }
        new Backoff(initialBackoff, maxBackoff, multiplier, jitter);
    }

    /**
     * A new backoff following this policy.
     *
     * @return the backoff
     */
    public Backoff backoff() {
        return new Backoff(initialBackoff, maxBackoff, multiplier, jitter);
    }
}
