package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateSamplerTest {

    private static List<Long> sample(
            final RateSampler s, final long startMicros, final long stepMicros, final int frames) {
        final List<Long> taken = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            final long t = startMicros + i * stepMicros;
            if (s.accept(t)) {
                taken.add(t);
            }
        }
        return taken;
    }

    @Test
    void twentyFiveFpsForTenSecondsGivesTwentyFramesAtTwoFps() {
        final List<Long> taken = sample(new RateSampler(2), 0, 40_000, 250);
        assertEquals(20, taken.size());
        for (int k = 0; k < taken.size(); k++) {
            final long t = taken.get(k);
            assertTrue(t >= k * 500_000L && t < (k + 1) * 500_000L, "frame " + k + " at " + t);
        }
    }

    @Test
    void tenFpsClipOf795FramesGives159() {
        assertEquals(159, sample(new RateSampler(2), 0, 100_000, 795).size());
    }

    @Test
    void aSlowerSourceKeepsEveryFrame() {
        assertEquals(10, sample(new RateSampler(2), 0, 1_000_000, 10).size());
    }

    @Test
    void negativeStartAndGapsAreHandled() {
        final RateSampler s = new RateSampler(2);
        assertTrue(s.accept(-72_000));
        assertFalse(s.accept(-32_000));
        assertTrue(s.accept(428_000)); // first frame of the next slot
        assertTrue(s.accept(5_000_000)); // after a gap: taken, and slots move on
        assertFalse(s.accept(5_100_000));
        assertTrue(s.accept(5_428_000));
    }

    @Test
    void aJumpBackRestartsTheSlots() {
        final RateSampler s = new RateSampler(2);
        assertTrue(s.accept(60_000_000));
        assertFalse(s.accept(60_040_000));
        assertTrue(s.accept(0)); // new connection, clock restarted
        assertFalse(s.accept(40_000));
        assertTrue(s.accept(500_000));
    }

    @Test
    void zeroTakesEverythingAndResetRestarts() {
        assertEquals(7, sample(new RateSampler(0), 0, 1, 7).size());
        final RateSampler s = new RateSampler(1);
        assertTrue(s.accept(0));
        assertFalse(s.accept(10));
        s.reset();
        assertTrue(s.accept(20));
        assertEquals(1_000_000, s.periodMicros());
    }

    @Test
    void wouldAcceptPredictsWithoutTaking() {
        final RateSampler s = new RateSampler(2);
        assertTrue(s.wouldAccept(123));
        assertTrue(s.accept(0));
        assertFalse(s.wouldAccept(499_999));
        assertTrue(s.wouldAccept(500_000));
        assertFalse(s.accept(499_999), "wouldAccept did not move the slots");
        assertTrue(s.accept(500_000));
    }

    @Test
    void rejectsBadRates() {
        assertThrows(IllegalArgumentException.class, () -> new RateSampler(-1));
        assertThrows(IllegalArgumentException.class, () -> new RateSampler(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new RateSampler(5000));
    }
}
