package dev.scissor.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSingleObjectSerdeTest {

    private static final String TOPIC = "t";

    private static <T extends SpecificRecord> T roundTrip(final Serde<T> serde, final T record) {
        final byte[] bytes = serde.serializer().serialize(TOPIC, record);
        return serde.deserializer().deserialize(TOPIC, bytes);
    }

    @Test
    void videoFrameRoundTrips() {
        final VideoFrame frame = TestRecords.videoFrame();
        final VideoFrame back = roundTrip(ScissorSerdes.videoFrame(), frame);
        assertEquals(frame, back);
        assertNotSame(frame, back);
        assertEquals("bgr24", back.getPixelFormat());
        assertArrayEquals(TestRecords.ramp(24), bytes(back.getImage()));
    }

    @Test
    void frameTokensRoundTripAndTensorSurvivesBitExactly() {
        final FrameTokens tokens = TestRecords.frameTokens();
        final FrameTokens back = roundTrip(ScissorSerdes.frameTokens(), tokens);
        assertEquals(tokens, back);
        assertEquals("siglip-so400m-patch14-384", back.getModelId());
        assertArrayEquals(TensorBytes.decode(tokens), TensorBytes.decode(back));
    }

    @Test
    void compressedWindowRoundTripsIncludingNestedRecordsNullsAndArrays() {
        final CompressedWindow window = TestRecords.compressedWindow();
        final CompressedWindow back = roundTrip(ScissorSerdes.compressedWindow(), window);
        assertEquals(window, back);
        assertEquals(EmitReason.SCENE_CHANGE, back.getEmitReason());
        assertEquals(3, back.getParams().getBudget());
        assertNull(back.getParams().getRetention());
        assertEquals(List.of(40L, 41L, 43L, 44L), back.getFrameSequences());
        assertEquals(List.of(0.5f, 1f, 3.25f), back.getMeanRow());
        assertEquals(1_234L, back.getStats().getComputeMicros());
        assertArrayEquals(new float[] {0.5f, -1f, 2f, 0f, 1e-3f, -7.25f}, TensorBytes.decode(back), 0f);
    }

    @Test
    void writesSingleObjectHeaderWithSchemaFingerprint() {
        final AvroSingleObjectSerde<VideoFrame> serde = ScissorSerdes.videoFrame();
        final byte[] bytes = serde.serializer().serialize(TOPIC, TestRecords.videoFrame());
        assertEquals((byte) 0xC3, bytes[0]);
        assertEquals((byte) 0x01, bytes[1]);
        final long fingerprint =
                ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(AvroSingleObjectSerde.fingerprint(VideoFrame.getClassSchema()), fingerprint);
        assertEquals(fingerprint, AvroSingleObjectSerde.fingerprintOf(bytes));
        assertEquals(List.of(fingerprint), serde.knownFingerprints());
    }

    @Test
    void serializingDoesNotConsumeTheRecordsBuffers() {
        final AvroSingleObjectSerde<VideoFrame> serde = ScissorSerdes.videoFrame();
        final VideoFrame frame = TestRecords.videoFrame();
        final byte[] first = serde.serializer().serialize(TOPIC, frame);
        final byte[] second = serde.serializer().serialize(TOPIC, frame);
        assertArrayEquals(first, second);
    }

    @Test
    void nullPassesThroughBothWays() {
        final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();
        assertNull(serde.serializer().serialize(TOPIC, null));
        assertNull(serde.deserializer().deserialize(TOPIC, null));
    }

    @Test
    void unknownFingerprintIsASerializationExceptionNamingTheFingerprint() {
        final byte[] bytes = ScissorSerdes.videoFrame().serializer().serialize(TOPIC, TestRecords.videoFrame());
        // Bytes of another record type carry a fingerprint the FrameTokens serde does not know.
        final AvroSingleObjectSerde<FrameTokens> tokens = ScissorSerdes.frameTokens();
        final SerializationException e = assertThrows(
                SerializationException.class, () -> tokens.deserializer().deserialize("tokens", bytes));
        final String seen = String.format("0x%016X", AvroSingleObjectSerde.fingerprint(VideoFrame.getClassSchema()));
        assertTrue(e.getMessage().contains("unknown writer schema fingerprint " + seen), e.getMessage());
        assertTrue(e.getMessage().contains("FrameTokens"), e.getMessage());
        assertTrue(e.getMessage().contains("tokens"), e.getMessage());
    }

    @Test
    void flippedFingerprintByteIsASerializationException() {
        final byte[] bytes = ScissorSerdes.videoFrame().serializer().serialize(TOPIC, TestRecords.videoFrame());
        bytes[5] ^= 0x40;
        final SerializationException e = assertThrows(
                SerializationException.class,
                () -> ScissorSerdes.videoFrame().deserializer().deserialize(TOPIC, bytes));
        assertTrue(
                e.getMessage().contains(String.format("0x%016X", AvroSingleObjectSerde.fingerprintOf(bytes))),
                e.getMessage());
    }

    @Test
    void everyTruncationIsASerializationException() {
        final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();
        final byte[] bytes = serde.serializer().serialize(TOPIC, TestRecords.compressedWindow());
        for (int length = 0; length < bytes.length; length++) {
            final byte[] truncated = Arrays.copyOf(bytes, length);
            assertThrows(
                    SerializationException.class,
                    () -> serde.deserializer().deserialize(TOPIC, truncated),
                    "prefix of " + length + " of " + bytes.length + " bytes");
        }
    }

    @Test
    void missingHeaderIsASerializationException() {
        final byte[] garbage = "not avro at all, just text".getBytes(StandardCharsets.UTF_8);
        final SerializationException e = assertThrows(
                SerializationException.class,
                () -> ScissorSerdes.videoFrame().deserializer().deserialize(TOPIC, garbage));
        assertTrue(e.getMessage().contains("C3 01"), e.getMessage());
    }

    @Test
    void malformedBodyAfterAValidHeaderIsASerializationException() {
        final AvroSingleObjectSerde<VideoFrame> serde = ScissorSerdes.videoFrame();
        final byte[] valid = serde.serializer().serialize(TOPIC, TestRecords.videoFrame());
        final byte[] corrupt = Arrays.copyOf(valid, 40);
        // An endless varint (continuation bit always set) where the stream id length should be.
        Arrays.fill(corrupt, AvroSingleObjectSerde.HEADER_LENGTH, corrupt.length, (byte) 0xFF);
        final SerializationException e = assertThrows(
                SerializationException.class, () -> serde.deserializer().deserialize(TOPIC, corrupt));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    }

    @Test
    void recordWithMissingRequiredValueIsASerializationException() {
        final VideoFrame frame = TestRecords.videoFrame();
        frame.setStreamId(null);
        assertThrows(
                SerializationException.class,
                () -> ScissorSerdes.videoFrame().serializer().serialize(TOPIC, frame));
    }

    @Test
    void rejectsAPreviousSchemaOfAnotherRecord() {
        final Schema other = SchemaBuilder.record("Other")
                .namespace("dev.scissor.schemas.avro")
                .fields()
                .requiredLong("sequence")
                .endRecord();
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ScissorSerdes.videoFrame(other));
        assertTrue(e.getMessage().contains("dev.scissor.schemas.avro.Other"), e.getMessage());
    }

    @Test
    void oneSerdeInstanceIsSafeToShareAcrossThreads() throws InterruptedException {
        final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();
        final CompressedWindow window = TestRecords.compressedWindow();
        final byte[] expected = serde.serializer().serialize(TOPIC, window);
        final int threads = 4;
        final boolean[] ok = new boolean[threads];
        final Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int index = t;
            workers[t] = new Thread(() -> {
                boolean all = true;
                for (int i = 0; i < 500; i++) {
                    final byte[] bytes = serde.serializer().serialize(TOPIC, window);
                    all &= Arrays.equals(expected, bytes);
                    all &= window.equals(serde.deserializer().deserialize(TOPIC, bytes));
                }
                ok[index] = all;
            });
            workers[t].start();
        }
        for (final Thread worker : workers) {
            worker.join();
        }
        for (int t = 0; t < threads; t++) {
            assertTrue(ok[t], "thread " + t);
        }
    }

    @Test
    void aHugeDeclaredLengthIsRejectedBeforeItIsAllocated() {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        final AvroSingleObjectSerde<VideoFrame> serde = ScissorSerdes.videoFrame();
        final byte[] valid = serde.serializer().serialize(TOPIC, TestRecords.videoFrame());
        // The header, then a stream id (the first field) claiming Integer.MAX_VALUE - 8 bytes, the
        // most Avro allows: zig-zag varint of 2^31 - 9.
        final byte[] hostile = Arrays.copyOf(valid, 10 + 5 + 16);
        final long zigzag = (Integer.MAX_VALUE - 8L) << 1;
        for (int i = 0; i < 5; i++) {
            hostile[10 + i] = (byte) ((zigzag >>> (7 * i)) & 0x7F | (i < 4 ? 0x80 : 0));
        }
        serde.deserializer().deserialize(TOPIC, valid); // warm up class loading
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20; i++) {
            assertThrows(
                    SerializationException.class, () -> serde.deserializer().deserialize(TOPIC, hostile));
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 16L << 20, "allocated " + (allocated >> 20) + " MiB");
    }

    @Test
    void aHugeDeclaredArrayIsRejectedWithoutAllocatingIt() throws Exception {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();
        final byte[] valid = serde.serializer().serialize(TOPIC, TestRecords.compressedWindow());
        // The header, then the fields before frameSequences, then an array block claiming 2^30 items.
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(valid, 0, 10);
        final org.apache.avro.io.BinaryEncoder enc =
                org.apache.avro.io.EncoderFactory.get().directBinaryEncoder(out, null);
        enc.writeString("cam");
        for (int i = 0; i < 4; i++) {
            enc.writeLong(i);
        }
        enc.writeInt(3);
        enc.writeArrayStart();
        enc.setItemCount(1L << 30);
        enc.startItem();
        enc.writeLong(7);
        enc.flush();
        final byte[] hostile = out.toByteArray();
        serde.deserializer().deserialize(TOPIC, valid); // warm up class loading
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 5; i++) {
            assertThrows(
                    SerializationException.class, () -> serde.deserializer().deserialize(TOPIC, hostile));
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 16L << 20, "allocated " + (allocated >> 20) + " MiB");
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        final byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
