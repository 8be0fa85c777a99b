package dev.scissor.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.VideoFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityResult;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks each current schema against its previous release, kept in {@code
 * src/test/resources/avro/previous/}.
 *
 * <p>The policy is full compatibility: current readers read previous data (backward, with the
 * defaults of new fields filled in) and previous readers read current data (forward, new fields
 * ignored), so producers and consumers can be upgraded in any order. When a schema changes,
 * copy the released version into {@code previous/} first.
 */
class SchemaEvolutionTest {

    static Stream<Arguments> schemaPairs() {
        return Stream.of(
                Arguments.of("VideoFrame", VideoFrame.getClassSchema()),
                Arguments.of("FrameTokens", FrameTokens.getClassSchema()),
                Arguments.of("CompressedWindow", CompressedWindow.getClassSchema()),
                Arguments.of("CompressedWindow-v1", CompressedWindow.getClassSchema()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemaPairs")
    void currentReadsPrevious(final String name, final Schema current) throws IOException {
        assertCompatible(current, previous(name), "current " + name + " reading previous data");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemaPairs")
    void previousReadsCurrent(final String name, final Schema current) throws IOException {
        assertCompatible(previous(name), current, "previous " + name + " reading current data");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemaPairs")
    void previousIsARealEarlierVersionAndAddedFieldsHaveDefaults(final String name, final Schema current)
            throws IOException {
        final Schema previous = previous(name);
        assertEquals(current.getFullName(), previous.getFullName());
        assertNotEquals(
                AvroSingleObjectSerde.fingerprint(current),
                AvroSingleObjectSerde.fingerprint(previous),
                "previous/" + name + ".avsc must differ from the current schema");
        for (final Schema.Field field : current.getFields()) {
            if (previous.getField(field.name()) == null) {
                assertTrue(field.hasDefaultValue(), name + "." + field.name() + " is new and needs a default");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemaPairs")
    void everyTypeAndFieldIsDocumented(final String name, final Schema current) {
        final List<String> undocumented = new ArrayList<>();
        collectUndocumented(current, new HashSet<>(), undocumented);
        assertTrue(undocumented.isEmpty(), name + ": missing doc on " + undocumented);
    }

    @Test
    void previousVideoFrameDecodesWithDefaultPixelFormat() throws IOException {
        final Schema v1 = previous("VideoFrame");
        final GenericRecord old = new GenericRecordBuilder(v1)
                .set("streamId", "cam-7")
                .set("sequence", 3L)
                .set("timestamp", 1_700_000_000_000L)
                .set("width", 640)
                .set("height", 360)
                .set("image", ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xD8}))
                .build();

        final VideoFrame frame = ScissorSerdes.videoFrame(v1).deserializer().deserialize("frames", encodeOld(v1, old));

        assertEquals("cam-7", frame.getStreamId());
        assertEquals(3L, frame.getSequence());
        assertEquals(1_700_000_000_000L, frame.getTimestamp());
        assertEquals(640, frame.getWidth());
        assertEquals(360, frame.getHeight());
        assertEquals("jpeg", frame.getPixelFormat(), "default of the field added in v2");
        assertEquals(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xD8}), frame.getImage());
    }

    @Test
    void previousFrameTokensDecodeAsFloat32() throws IOException {
        final Schema v1 = previous("FrameTokens");
        final float[] values = {0.25f, -0.5f, 1f, 2f, 3f, 4f};
        final GenericRecord old = new GenericRecordBuilder(v1)
                .set("streamId", "cam-7")
                .set("sequence", 3L)
                .set("timestamp", 1_700_000_000_000L)
                .set("gridHeight", 1)
                .set("gridWidth", 3)
                .set("tokenDim", 2)
                .set("tensor", TensorBytes.toLittleEndian(values))
                .set("modelId", "clip-vit-b16")
                .build();

        final FrameTokens tokens =
                ScissorSerdes.frameTokens(v1).deserializer().deserialize("tokens", encodeOld(v1, old));

        assertEquals(TokenDtype.FLOAT32, tokens.getDtype(), "default of the field added in v2");
        assertEquals("clip-vit-b16", tokens.getModelId());
        assertArrayEquals(values, TensorBytes.decode(tokens));
    }

    @Test
    void previousCompressedWindowDecodesWithEmptyPositionsAndHopReason() throws IOException {
        final Schema v1 = previous("CompressedWindow-v1");
        final Schema paramsV1 = v1.getField("params").schema();
        final Schema statsV1 = v1.getField("stats").schema();
        final GenericRecord old = new GenericRecordBuilder(v1)
                .set("streamId", "cam-7")
                .set("firstSequence", 10L)
                .set("lastSequence", 13L)
                .set("firstTimestamp", 1_000L)
                .set("lastTimestamp", 1_120L)
                .set("frameCount", 4)
                .set("frameSequences", List.of(10L, 11L, 12L, 13L))
                .set(
                        "params",
                        new GenericRecordBuilder(paramsV1)
                                .set("mode", "classic")
                                .set("tau", 0.8)
                                .set("epsilon", 0.0)
                                .set("retention", 0.1)
                                .set("windowFrames", 4)
                                .set("hopFrames", 4)
                                .build())
                .set("tokens", TensorBytes.toLittleEndian(new float[] {1f, 2f, 3f, 4f}))
                .set("tokenCount", 2)
                .set("tokenDim", 2)
                .set("mergedCounts", List.of(5, 3))
                .set(
                        "stats",
                        new GenericRecordBuilder(statsV1)
                                .set("tokensIn", 8)
                                .set("spatialTokens", 6)
                                .set("tokensOut", 2)
                                .set("computeMicros", 99L)
                                .build())
                .build();

        final CompressedWindow window =
                ScissorSerdes.compressedWindow(v1).deserializer().deserialize("windows", encodeOld(v1, old));

        assertEquals("cam-7", window.getStreamId());
        assertEquals(List.of(10L, 11L, 12L, 13L), window.getFrameSequences());
        assertEquals("classic", window.getParams().getMode());
        assertNull(window.getParams().getBudget(), "budget defaulted to null in the v1 record");
        assertEquals(0.1, window.getParams().getRetention());
        assertEquals(List.of(5, 3), window.getMergedCounts());
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, TensorBytes.decode(window));
        assertEquals(99L, window.getStats().getComputeMicros());
        // Fields added in v2 take their defaults.
        assertNotNull(window.getFirstFrame());
        assertTrue(window.getFirstFrame().isEmpty());
        assertTrue(window.getLastFrame().isEmpty());
        assertTrue(window.getMeanRow().isEmpty());
        assertTrue(window.getMeanCol().isEmpty());
        assertEquals(EmitReason.HOP, window.getEmitReason());
        assertEquals(TokenDtype.FLOAT32, window.getDtype(), "default of the field added in v3");
    }

    @Test
    void releasedV2WindowsDecodeAsFloat32WithTheDefaultSerde() throws IOException {
        final Schema v2 = previous("CompressedWindow");
        assertEquals(
                List.of(AvroSingleObjectSerde.fingerprint(v2)),
                ScissorSerdes.releasedCompressedWindowSchemas().stream()
                        .map(AvroSingleObjectSerde::fingerprint)
                        .toList(),
                "the serde registers the released v2 schema kept in previous/");
        final GenericRecord old = new GenericRecordBuilder(v2)
                .set("streamId", "cam-7")
                .set("firstSequence", 10L)
                .set("lastSequence", 11L)
                .set("firstTimestamp", 1_000L)
                .set("lastTimestamp", 1_040L)
                .set("frameCount", 2)
                .set("frameSequences", List.of(10L, 11L))
                .set(
                        "params",
                        new GenericRecordBuilder(v2.getField("params").schema())
                                .set("mode", "classic")
                                .set("tau", 0.8)
                                .set("epsilon", 0.0)
                                .set("windowFrames", 2)
                                .set("hopFrames", 2)
                                .build())
                .set("tokens", TensorBytes.toLittleEndian(new float[] {1f, 2f, 3f, 4f}))
                .set("tokenCount", 2)
                .set("tokenDim", 2)
                .set("mergedCounts", List.of(5, 3))
                .set("firstFrame", List.of(10L, 10L))
                .set("lastFrame", List.of(11L, 10L))
                .set("meanRow", List.of(0.5f, 1f))
                .set("meanCol", List.of(2f, 3f))
                .set(
                        "stats",
                        new GenericRecordBuilder(v2.getField("stats").schema())
                                .set("tokensIn", 8)
                                .set("spatialTokens", 6)
                                .set("tokensOut", 2)
                                .set("computeMicros", 99L)
                                .build())
                .set(
                        "emitReason",
                        new GenericData.EnumSymbol(v2.getField("emitReason").schema(), "SCENE_CHANGE"))
                .build();

        final CompressedWindow window =
                ScissorSerdes.compressedWindow().deserializer().deserialize("windows", encodeOld(v2, old));

        assertEquals(TokenDtype.FLOAT32, window.getDtype(), "default of the field added in v3");
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, TensorBytes.decode(window));
        assertEquals(List.of(11L, 10L), window.getLastFrame());
        assertEquals(EmitReason.SCENE_CHANGE, window.getEmitReason());
    }

    @Test
    void float16WindowsRoundTrip() {
        final CompressedWindow window = CompressedWindow.newBuilder(TestRecords.compressedWindow())
                .setDtype(TokenDtype.FLOAT16)
                .setTokens(TensorBytes.encode(new float[] {1f, -2f, 0.5f, 0.25f, 3f, -4f}, TokenDtype.FLOAT16))
                .build();
        final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();
        final CompressedWindow back =
                serde.deserializer().deserialize("windows", serde.serializer().serialize("windows", window));
        assertEquals(TokenDtype.FLOAT16, back.getDtype());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 0.25f, 3f, -4f}, TensorBytes.decode(back));
    }

    @Test
    void previousDataIsRejectedWhenItsSchemaIsNotRegistered() throws IOException {
        final Schema v1 = previous("VideoFrame");
        final GenericRecord old = new GenericRecordBuilder(v1)
                .set("streamId", "cam-7")
                .set("sequence", 3L)
                .set("timestamp", 0L)
                .set("width", 1)
                .set("height", 1)
                .set("image", ByteBuffer.allocate(0))
                .build();
        final byte[] bytes = encodeOld(v1, old);

        final SerializationException e = assertThrows(
                SerializationException.class,
                () -> ScissorSerdes.videoFrame().deserializer().deserialize("frames", bytes));
        final String v1Fingerprint = String.format("0x%016X", AvroSingleObjectSerde.fingerprint(v1));
        assertTrue(e.getMessage().contains(v1Fingerprint), e.getMessage());
        final long fingerprint = AvroSingleObjectSerde.fingerprint(v1);
        assertFalse(ScissorSerdes.videoFrame().knownFingerprints().contains(fingerprint));
        assertTrue(ScissorSerdes.videoFrame(v1).knownFingerprints().contains(fingerprint));
    }

    private static void assertCompatible(final Schema reader, final Schema writer, final String description) {
        final SchemaCompatibilityResult result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                .getResult();
        assertEquals(
                SchemaCompatibilityType.COMPATIBLE,
                result.getCompatibility(),
                () -> description + ": " + result.getIncompatibilities());
    }

    private static Schema previous(final String name) throws IOException {
        final String resource = "/avro/previous/" + name + ".avsc";
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            return new Schema.Parser().parse(in);
        }
    }

    private static byte[] encodeOld(final Schema writer, final GenericRecord record) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(record, out);
        return out.toByteArray();
    }

    private static void collectUndocumented(
            final Schema schema, final Set<String> seen, final List<String> undocumented) {
        switch (schema.getType()) {
            case RECORD:
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                requireDoc(schema.getDoc(), schema.getName(), undocumented);
                for (final Schema.Field field : schema.getFields()) {
                    requireDoc(field.doc(), schema.getName() + "." + field.name(), undocumented);
                    collectUndocumented(field.schema(), seen, undocumented);
                }
                break;
            case ENUM:
                if (seen.add(schema.getFullName())) {
                    requireDoc(schema.getDoc(), schema.getName(), undocumented);
                }
                break;
            case ARRAY:
                collectUndocumented(schema.getElementType(), seen, undocumented);
                break;
            case MAP:
                collectUndocumented(schema.getValueType(), seen, undocumented);
                break;
            case UNION:
                for (final Schema branch : schema.getTypes()) {
                    collectUndocumented(branch, seen, undocumented);
                }
                break;
            default:
                break;
        }
    }

    private static void requireDoc(final String doc, final String where, final List<String> undocumented) {
        if (doc == null || doc.isBlank()) {
            undocumented.add(where);
        }
    }
}
