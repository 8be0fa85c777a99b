package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SequenceNumbersTest {

    private static final long T0 = 1_795_000_000_000L; // an epoch time in ms (2026)

    @Test
    void numbersAreHalfSecondsSinceTheEpochAtTwoFps() {
        final SequenceNumbers n = new SequenceNumbers(2, 0);
        assertEquals(T0 / 500, n.next(T0));
        assertEquals(T0 / 500 + 1, n.next(T0 + 500));
        assertEquals(T0 / 500 + 2, n.next(T0 + 1020));
        assertEquals(T0 / 500 + 2, n.last());
    }

    @Test
    void framesInTheSameSlotStillGetIncreasingNumbers() {
        final SequenceNumbers n = new SequenceNumbers(2, 0);
        final long a = n.next(T0);
        final long b = n.next(T0 + 10);
        final long c = n.next(T0 + 20);
        assertEquals(a + 1, b);
        assertEquals(b + 1, c);
        assertEquals(c + 1, n.next(T0 + 600)); // caught up with the slots again
        assertEquals((T0 + 2000) / 500, n.next(T0 + 2000)); // a gap after a reconnect
    }

    @Test
    void aRestartedProcessContinuesAboveTheOldNumbers() {
        final SequenceNumbers first = new SequenceNumbers(2, 0);
        long last = 0;
        for (int i = 0; i < 100; i++) {
            last = first.next(T0 + i * 500L);
        }
        final SequenceNumbers restarted = new SequenceNumbers(2, 0);
        assertTrue(restarted.next(T0 + 100 * 500L + 3000) > last);
    }

    @Test
    void theFloorAndTheMillisecondUnit() {
        final SequenceNumbers floor = new SequenceNumbers(2, T0);
        assertEquals(T0, floor.next(T0));
        assertEquals(T0 + 1, floor.next(T0 + 500));
        final SequenceNumbers ms = new SequenceNumbers(0, 0);
        assertEquals(T0, ms.next(T0));
        assertEquals(T0 + 1, ms.next(T0));
        assertEquals(SequenceNumbers.NONE, new SequenceNumbers(1, 0).last());
        assertThrows(IllegalArgumentException.class, () -> new SequenceNumbers(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SequenceNumbers(2, -5));
    }
}
