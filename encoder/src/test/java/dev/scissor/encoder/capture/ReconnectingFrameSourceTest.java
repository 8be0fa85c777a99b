package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReconnectingFrameSourceTest {

    private static final SourceSpec SPEC = SourceSpec.parse("rtsp://camera.invalid/live");

    /** A connection that delivers {@code frames} frames, then ends or fails. */
    private static final class Scripted implements FrameSource {
        private final int frames;
        private final boolean failAtEnd;
        private final int base;
        private int given;
        boolean closed;

        Scripted(final int base, final int frames, final boolean failAtEnd) {
            this.base = base;
            this.frames = frames;
            this.failAtEnd = failAtEnd;
        }

        @Override
        public CapturedFrame next() throws IOException {
            if (given < frames) {
                given++;
                return new CapturedFrame(given, base + given, 2, 2, new byte[12]);
            }
            if (failAtEnd) {
                throw new IOException("connection reset");
            }
            return null;
        }

        @Override
        public SourceSpec spec() {
            return SPEC;
        }

        @Override
        public void requestStop() {}

        @Override
        public void close() {
            closed = true;
        }
    }

    private static ReconnectPolicy policy(final long initialMs, final long maxMs, final int maxAttempts) {
        return new ReconnectPolicy(Duration.ofMillis(initialMs), Duration.ofMillis(maxMs), 2.0, 0.0, maxAttempts);
    }

    @Test
    void aDroppedConnectionIsReopenedAndFramesGoOn() throws Exception {
        final Deque<Scripted> script = new ArrayDeque<>(
                List.of(new Scripted(100, 2, true), new Scripted(200, 3, false), new Scripted(300, 1, false)));
        final List<Scripted> opened = new ArrayList<>();
        try (ReconnectingFrameSource s = new ReconnectingFrameSource(
                SPEC,
                () -> {
                    final Scripted next = script.poll();
                    if (next == null) {
                        throw new IOException("no more");
                    }
                    opened.add(next);
                    return next;
                },
                policy(1, 5, -1))) {
            final List<Long> stamps = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                stamps.add(s.next().timestampMs());
            }
            assertEquals(List.of(101L, 102L, 201L, 202L, 203L, 301L), stamps);
            assertEquals(3, s.connections());
            assertTrue(opened.get(0).closed && opened.get(1).closed, "dropped connections are closed");
            s.requestStop();
            assertNull(s.next());
        }
    }

    @Test
    void failedAttemptsBackOffExponentially() throws Exception {
        final AtomicInteger attempts = new AtomicInteger();
        try (ReconnectingFrameSource s = new ReconnectingFrameSource(
                SPEC,
                () -> {
                    if (attempts.incrementAndGet() <= 3) {
                        throw new IOException("connection refused");
                    }
                    return new Scripted(0, 1, false);
                },
                policy(40, 1000, -1))) {
            final long t0 = System.nanoTime();
            assertEquals(1, s.next().timestampMs());
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 40 + 80 + 160 - 30, "waited only " + ms + " ms for 3 retries");
            assertEquals("connection refused", s.lastProblem());
        }
    }

    @Test
    void givesUpAfterMaxAttemptsInARow() {
        final ReconnectingFrameSource s = new ReconnectingFrameSource(
                SPEC,
                () -> {
                    throw new IOException("host unreachable");
                },
                policy(1, 2, 2));
        final IOException e = assertThrows(IOException.class, s::next);
        assertTrue(e.getMessage().contains("after 3 failed attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("host unreachable"), e.getMessage());
        s.close();
    }

    @Test
    void connectionsThatEndBeforeAnyFrameCountAsFailures() {
        final AtomicInteger opens = new AtomicInteger();
        final ReconnectingFrameSource s = new ReconnectingFrameSource(
                SPEC,
                () -> {
                    opens.incrementAndGet();
                    return new Scripted(0, 0, false);
                },
                policy(1, 2, 3));
        assertThrows(IOException.class, s::next);
        assertEquals(4, opens.get());
        s.close();
    }

    @Test
    void aStopCutsTheBackoffWaitShort() throws Exception {
        final ReconnectingFrameSource s = new ReconnectingFrameSource(
                SPEC,
                () -> {
                    throw new IOException("refused");
                },
                policy(60_000, 60_000, -1));
        final Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            s.requestStop();
        });
        stopper.start();
        final long t0 = System.nanoTime();
        assertNull(s.next());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "stop did not end the wait");
        stopper.join();
        s.close();
    }

    @Test
    void errorsARetryCannotFixAreNotRetried() {
        final AtomicInteger opens = new AtomicInteger();
        final ReconnectingFrameSource s = new ReconnectingFrameSource(
                SPEC,
                () -> {
                    opens.incrementAndGet();
                    throw new IllegalStateException("libavdevice missing");
                },
                policy(1, 2, -1));
        assertThrows(IllegalStateException.class, s::next);
        assertEquals(1, opens.get());
        s.close();
    }
}
