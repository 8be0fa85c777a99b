package dev.scissor.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.CompressedWindow;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link WindowConsumer} over a {@link MockWindowsConsumer}: valid windows come out typed, every kind
 * of malformed record reaches the callback with its coordinates and reason and is skipped, and
 * {@code assignAll} positions each partition from a point in time.
 */
class WindowConsumerTest {

    private static final String TOPIC = "windows";
    private static final long T0 = 1_795_000_000_000L;
    private static final Duration POLL = Duration.ofMillis(10);

    private final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();

    private byte[] bytes(final CompressedWindow w) {
        return serde.serializer().serialize(TOPIC, w);
    }

    private byte[] window(final String stream, final long first) {
        return bytes(WindowTest.record(stream, first, 3, 5).build());
    }

    /** Polls until {@code n} windows came out or a second passed. */
    private static List<Window> pollFor(final WindowConsumer c, final int n) {
        final List<Window> out = new ArrayList<>();
        final long deadline = System.nanoTime() + 1_000_000_000L;
        while (out.size() < n && System.nanoTime() < deadline) {
            out.addAll(c.poll(POLL));
        }
        return out;
    }

    @Test
    void validWindowsComeOutTypedInPartitionOrder() {
        final MockWindowsConsumer mock = new MockWindowsConsumer(TOPIC, 2);
        mock.append(0, "cam-a", window("cam-a", 0), T0);
        mock.append(1, "cam-b", window("cam-b", 10), T0);
        mock.append(0, "cam-a", window("cam-a", 4), T0 + 2000);
        mock.append(0, null, window("cam-a", 8), T0 + 4000); // no key: accepted
        final List<WindowConsumer.Malformed> bad = new ArrayList<>();
        try (WindowConsumer c = WindowConsumer.assignAll(new WindowConsumer(mock, TOPIC, bad::add), null)) {
            final List<Window> got = pollFor(c, 4);
            assertEquals(4, got.size(), got.toString());
            assertEquals(
                    List.of("cam-a 0", "cam-a 4", "cam-a 8"),
                    got.stream()
                            .filter(w -> w.streamId().equals("cam-a"))
                            .map(w -> w.streamId() + " " + w.firstSequence())
                            .toList());
            final Window b = got.stream()
                    .filter(w -> w.streamId().equals("cam-b"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(10, b.firstSequence());
            assertEquals(13, b.lastSequence());
            assertEquals(3, b.tokenCount());
            assertEquals(5, b.tokenDim());
            assertEquals(204f, b.token(2, 4));
            assertEquals(List.of(10L, 11L, 12L, 13L), b.frameSequences());
            assertEquals(TOPIC, c.topic());
        }
        assertEquals(List.of(), bad);
        assertTrue(mock.closed(), "close() closes the client");
    }

    @Test
    void eachMalformedKindReachesTheCallbackAndIsSkipped() {
        final MockWindowsConsumer mock = new MockWindowsConsumer(TOPIC, 1);
        final byte[] valid = window("cam", 0);
        final byte[] unknownSchema = valid.clone();
        ByteBuffer.wrap(unknownSchema, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x0123456789ABCDEFL);
        final byte[] truncated = Arrays.copyOf(valid, 14);
        final byte[] inconsistent = bytes(WindowTest.record("cam", 8, 2, 3)
                .setTokens(ByteBuffer.allocate(20))
                .build());

        mock.append(0, "cam", valid, T0); // 0
        mock.append(0, "cam", null, T0); // 1
        mock.append(0, "cam", "garbage, not Avro".getBytes(StandardCharsets.US_ASCII), T0); // 2
        mock.append(0, "cam", unknownSchema, T0); // 3
        mock.append(0, "cam", truncated, T0); // 4
        mock.append(0, "cam", inconsistent, T0); // 5
        mock.append(0, "other", window("cam", 12), T0); // 6
        mock.append(0, "cam", window("cam", 4), T0); // 7
        final List<WindowConsumer.Malformed> bad = new ArrayList<>();
        try (WindowConsumer c = WindowConsumer.assignAll(new WindowConsumer(mock, TOPIC, bad::add), null)) {
            final List<Window> got = pollFor(c, 2);
            assertEquals(
                    List.of(0L, 4L), got.stream().map(Window::firstSequence).toList());
            assertEquals(6, bad.size(), bad.toString());
            for (int i = 0; i < bad.size(); i++) {
                assertEquals(TOPIC, bad.get(i).topic());
                assertEquals(0, bad.get(i).partition());
                assertEquals(i + 1, bad.get(i).offset(), "offsets in order: " + bad);
            }
            assertEquals("cam", bad.get(0).key());
            assertEquals(
                    "the record has no value (a tombstone?); windows carry a CompressedWindow",
                    bad.get(0).reason());
            assertEquals(
                    "Not an Avro single-object message: expected header bytes C3 01, found 67 61",
                    bad.get(1).reason());
            assertTrue(
                    bad.get(2)
                            .reason()
                            .startsWith("written with schema fingerprint 0x0123456789ABCDEF, which is not"
                                    + " a CompressedWindow schema this consumer knows"),
                    bad.get(2).reason());
            assertTrue(
                    bad.get(3).reason().startsWith("Cannot deserialize"),
                    bad.get(3).reason());
            assertEquals(
                    "window 8-11 of stream 'cam': tokens has 20 bytes but tokenCount 2 x tokenDim 3 x 4 = 24",
                    bad.get(4).reason());
            assertEquals("other", bad.get(5).key());
            assertEquals(
                    "the record key 'other' is not the window's stream id 'cam'",
                    bad.get(5).reason());
            assertEquals(
                    "windows-0@6 (key other): the record key 'other' is not the window's stream id 'cam'",
                    bad.get(5).toString());

            // Polling goes on past them.
            mock.append(0, "cam", window("cam", 16), T0);
            assertEquals(
                    List.of(16L),
                    pollFor(c, 1).stream().map(Window::firstSequence).toList());
        }
    }

    @Test
    void aThrowingCallbackDoesNotStopTheConsumer() {
        final MockWindowsConsumer mock = new MockWindowsConsumer(TOPIC, 1);
        mock.append(0, "cam", null, T0);
        mock.append(0, "cam", window("cam", 0), T0);
        mock.append(0, "cam", new byte[] {1, 2, 3}, T0);
        mock.append(0, "cam", window("cam", 4), T0);
        final List<Long> seen = new ArrayList<>();
        try (WindowConsumer c = WindowConsumer.assignAll(
                new WindowConsumer(mock, TOPIC, bad -> {
                    seen.add(bad.offset());
                    throw new IllegalStateException("callback failed");
                }),
                null)) {
            assertEquals(
                    List.of(0L, 4L),
                    pollFor(c, 2).stream().map(Window::firstSequence).toList());
            mock.append(0, "cam", null, T0);
            mock.append(0, "cam", window("cam", 8), T0);
            assertEquals(
                    List.of(8L),
                    pollFor(c, 1).stream().map(Window::firstSequence).toList());
        }
        assertEquals(List.of(0L, 2L, 4L), seen);
    }

    @Test
    void assignAllFromATimeStartsAtTheFirstRecordAtOrAfterItPerPartition() {
        final MockWindowsConsumer mock = new MockWindowsConsumer(TOPIC, 3);
        for (int i = 0; i < 4; i++) {
            mock.append(0, "a", window("a", i * 4L), T0 + i * 1000L); // 0 s, 1 s, 2 s, 3 s
        }
        mock.append(1, "b", window("b", 0), T0); // all before the start time
        mock.append(1, "b", window("b", 4), T0 + 1000);
        mock.append(2, "c", window("c", 0), T0 + 2500); // exactly at it
        final List<WindowConsumer.Malformed> bad = new ArrayList<>();
        try (WindowConsumer c =
                WindowConsumer.assignAll(new WindowConsumer(mock, TOPIC, bad::add), Instant.ofEpochMilli(T0 + 1500))) {
            final List<Window> got = pollFor(c, 3);
            assertEquals(
                    List.of("a 8", "a 12", "c 0"),
                    got.stream()
                            .sorted(Comparator.comparing(Window::streamId))
                            .map(w -> w.streamId() + " " + w.firstSequence())
                            .toList());
            // Partition 1 had nothing at or after the time: it starts at its end, so new records are read.
            assertEquals(2, mock.position(new org.apache.kafka.common.TopicPartition(TOPIC, 1)));
            mock.append(1, "b", window("b", 8), T0 + 5000);
            assertEquals(
                    List.of("b 8"),
                    pollFor(c, 1).stream()
                            .map(w -> w.streamId() + " " + w.firstSequence())
                            .toList());
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void assignAllWithoutATimeStartsAtTheBeginning() {
        final MockWindowsConsumer mock = new MockWindowsConsumer(TOPIC, 2);
        mock.append(0, "a", window("a", 0), T0);
        mock.append(1, "b", window("b", 0), T0 + 1000);
        mock.append(0, "a", window("a", 4), T0 + 2000);
        try (WindowConsumer c = WindowConsumer.assignAll(new WindowConsumer(mock, TOPIC, bad -> {}), null)) {
            assertEquals(3, pollFor(c, 3).size());
        }
    }

    @Test
    void assignAllToAMissingTopicFailsAndClosesTheClient() {
        final MockWindowsConsumer mock = new MockWindowsConsumer("other", 1);
        final IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> WindowConsumer.assignAll(new WindowConsumer(mock, TOPIC, bad -> {}), null));
        assertEquals("topic 'windows' does not exist (or has no partitions)", e.getMessage());
        assertTrue(mock.closed());
    }
}
