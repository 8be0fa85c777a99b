package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void growsExponentiallyUpToTheMaximumWithoutJitter() {
        final Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), 2, 0, () -> 0.7);
        final long[] expected = {100, 200, 400, 800, 1000, 1000};
        for (final long e : expected) {
            assertEquals(e, b.next().toMillis());
        }
        assertEquals(6, b.attempts());
        b.reset();
        assertEquals(100, b.next().toMillis());
    }

    @Test
    void jitterShortensWaitsWithinItsFraction() {
        final Backoff low = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(30), 2, 0.5, () -> 0.999999);
        assertEquals(500, low.next().toMillis());
        final Backoff high = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(30), 2, 0.5, () -> 0.0);
        assertEquals(1000, high.next().toMillis());
        final Backoff random = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(4), 2, 0.25);
        for (int i = 0; i < 50; i++) {
            final long base = Math.min(4000, 1000L << Math.min(i, 3));
            final long ms = random.next().toMillis();
            assertTrue(ms >= base * 3 / 4 && ms <= base, "attempt " + i + ": " + ms + " vs " + base);
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(
                IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 0.5, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 2, 1.5));
    }
}
