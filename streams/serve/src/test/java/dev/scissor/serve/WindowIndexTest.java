package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.scissor.consumer.Window;
import dev.scissor.consumer.WindowTestAccess;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowIndexTest {

    /** A window of stream {@code s} ending at {@code endMs} with 10 tokens of 4 dims (160 bytes). */
    private static Window window(final String s, final long endMs) {
        return Window.of(WindowTestAccess.record(s, endMs / 1000, 10, 4)
                .setFirstTimestamp(endMs - 1000)
                .setLastTimestamp(endMs)
                .build());
    }

    @Test
    void keepsTheHistoryAndTheCountPerStream() {
        final WindowIndex index = new WindowIndex(5_000, 3, 1L << 30);
        for (int i = 1; i <= 10; i++) {
            index.add(window("a", i * 1000L));
        }
        assertEquals(
                List.of(8000L, 9000L, 10000L),
                index.windows("a").stream().map(Window::lastTimestampMs).toList());
        final WindowIndex byTime = new WindowIndex(2_500, 100, 1L << 30);
        for (int i = 1; i <= 10; i++) {
            byTime.add(window("a", i * 1000L));
        }
        assertEquals(
                List.of(8000L, 9000L, 10000L),
                byTime.windows("a").stream().map(Window::lastTimestampMs).toList());
    }

    @Test
    void dropsTheOldestWindowOfAnyStreamToStayWithinTheByteLimit() {
        final WindowIndex index = new WindowIndex(1_000_000, 100, 4 * 160);
        index.add(window("a", 1000));
        index.add(window("b", 2000));
        index.add(window("a", 3000));
        index.add(window("b", 4000));
        assertEquals(4 * 160, index.bytes());
        index.add(window("b", 5000)); // over the limit: a@1000 is the oldest of all
        assertEquals(
                List.of(3000L),
                index.windows("a").stream().map(Window::lastTimestampMs).toList());
        index.add(window("b", 6000)); // b@2000 is now the oldest
        assertEquals(
                List.of(4000L, 5000L, 6000L),
                index.windows("b").stream().map(Window::lastTimestampMs).toList());
        assertEquals(2, index.evictedForMemory());
        assertEquals(4 * 160, index.bytes());
        // Each stream keeps its newest window even when that alone is over the limit.
        final WindowIndex tiny = new WindowIndex(1_000_000, 100, 100);
        tiny.add(window("a", 1000));
        tiny.add(window("b", 2000));
        tiny.add(window("a", 3000));
        assertEquals(1, tiny.windows("a").size());
        assertEquals(1, tiny.windows("b").size());
    }

    @Test
    void aFloat16WindowCountsItsElementsAndTheFloat32CopyItsReadersDecode() {
        final Window half = Window.of(WindowTestAccess.record("h", 1, 10, 4)
                .setDtype(dev.scissor.schemas.avro.TokenDtype.FLOAT16)
                .setTokens(java.nio.ByteBuffer.allocate(10 * 4 * 2))
                .build());
        assertEquals(10 * 4 * (2 + 4), WindowIndex.bytes(half));
        assertEquals(160, WindowIndex.bytes(window("a", 1000)));
    }
}
