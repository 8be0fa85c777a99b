package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.DIM;
import static dev.scissor.streams.TestFrames.N;
import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static dev.scissor.streams.TestFrames.halfFrame;
import static dev.scissor.streams.TestFrames.halfRounded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Float16 frames through the compressor topology: the compressor computes on the widened values,
 * a stream keeps one dtype, windows come out in the stream's dtype (or the configured one), and
 * the frame store keeps frames as they came.
 */
class Float16TopologyTest {

    @TempDir
    Path stateDir;

    /** A driver over the compressor topology with raw byte topics. */
    private final class Driver implements AutoCloseable {
        final CompressorConfig config;
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> tokens;
        final TestOutputTopic<byte[], byte[]> windows;
        final TestOutputTopic<byte[], byte[]> dlq;

        Driver(final Map<String, Object> settings) {
            final Map<String, Object> all = new HashMap<>(settings);
            all.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            all.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            config = new CompressorConfig(all);
            driver = new TopologyTestDriver(CompressorTopology.build(config), config.streamsProperties());
            tokens =
                    driver.createInputTopic(config.tokensTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            windows = driver.createOutputTopic(
                    config.windowsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            dlq = driver.createOutputTopic(config.dlqTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        void send(final FrameTokens f) {
            tokens.pipeInput(f.getStreamId().getBytes(StandardCharsets.UTF_8), bytes(f));
        }

        List<CompressedWindow> windows() {
            return windows.readValuesToList().stream()
                    .map(v -> ScissorSerdes.compressedWindow().deserializer().deserialize("windows", v))
                    .toList();
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    private static Map<String, Object> settings(final int w, final int h) {
        final Map<String, Object> m = new HashMap<>();
        m.put(CompressorConfig.WINDOW_FRAMES, w);
        m.put(CompressorConfig.HOP_FRAMES, h);
        return m;
    }

    @Test
    void float16FramesGiveFloat16WindowsOfTheWidenedValues() {
        final float[] v = TestFrames.video(3, 6);
        try (Driver d = new Driver(settings(4, 2))) {
            for (int t = 0; t < 6; t++) {
                d.send(halfFrame("cam", t, v, t));
            }
            final List<CompressedWindow> out = d.windows();
            assertEquals(2, out.size());
            final WindowResult expected = TestFrames.direct(
                    ScissorParams.defaults(), halfRounded(v), TestFrames.range(2, 6), new long[] {2, 3, 4, 5});
            final CompressedWindow last = out.get(1);
            assertEquals(TokenDtype.FLOAT16, last.getDtype());
            assertEquals(expected.tokenCount() * DIM * 2, last.getTokens().remaining());
            assertArrayEquals(
                    halfRounded(expected.tokens()),
                    TensorBytes.decode(last),
                    "the compressor's float32 result, rounded once to float16");

            final KeyValueStore<Bytes, byte[]> frames = d.driver.getKeyValueStore(CompressorTopology.FRAME_STORE);
            final byte[] stored = frames.get(CompressorProcessor.frameKey("cam", 5));
            assertEquals(Long.BYTES + N * DIM * 2, stored.length, "the frame store keeps float16 frames as float16");
            final ByteBuffer tensor = halfFrame("cam", 5, v, 5).getTensor();
            assertEquals(tensor, ByteBuffer.wrap(stored, Long.BYTES, N * DIM * 2), "bit for bit");
        }
    }

    @ParameterizedTest
    @EnumSource(TokenDtype.class)
    void aConfiguredWindowDtypeOverridesTheStreams(final TokenDtype in) {
        final float[] v = TestFrames.video(4, 4);
        final Map<String, Object> s = settings(4, 4);
        s.put(CompressorConfig.WINDOWS_DTYPE, "float32");
        try (Driver d = new Driver(s)) {
            for (int t = 0; t < 4; t++) {
                d.send(in == TokenDtype.FLOAT16 ? halfFrame("cam", t, v, t) : frame("cam", t, v, t));
            }
            final CompressedWindow w = d.windows().get(0);
            assertEquals(TokenDtype.FLOAT32, w.getDtype());
            final WindowResult expected = TestFrames.direct(
                    ScissorParams.defaults(),
                    in == TokenDtype.FLOAT16 ? halfRounded(v) : v,
                    TestFrames.range(0, 4),
                    new long[] {0, 1, 2, 3});
            assertArrayEquals(expected.tokens(), TensorBytes.decode(w), "bit-identical float32 tokens");
        }
        s.put(CompressorConfig.WINDOWS_DTYPE, "float16");
        try (Driver d = new Driver(s)) {
            for (int t = 0; t < 4; t++) {
                d.send(in == TokenDtype.FLOAT16 ? halfFrame("cam2", t, v, t) : frame("cam2", t, v, t));
            }
            assertEquals(TokenDtype.FLOAT16, d.windows().get(0).getDtype());
        }
    }

    @Test
    void aStreamKeepsItsDtype() {
        final float[] v = TestFrames.video(5, 4);
        try (Driver d = new Driver(settings(2, 2))) {
            d.send(frame("cam", 0, v, 0));
            d.send(halfFrame("cam", 1, v, 1));
            d.send(halfFrame("other", 0, v, 0));
            d.send(frame("other", 1, v, 1));
            d.send(frame("cam", 1, v, 1));
            final List<TestRecord<byte[], byte[]>> dead = d.dlq.readRecordsToList();
            assertEquals(2, dead.size());
            for (final TestRecord<byte[], byte[]> r : dead) {
                assertEquals(
                        DeadLetters.Reason.DTYPE_MISMATCH.name(), DeadLetters.header(r.headers(), DeadLetters.REASON));
            }
            assertTrue(DeadLetters.header(dead.get(0).headers(), DeadLetters.DETAIL)
                    .contains("has FLOAT16 tokens, but stream cam has FLOAT32"));
            final List<CompressedWindow> out = d.windows();
            assertEquals(1, out.size(), "the stream went on");
            assertEquals(TokenDtype.FLOAT32, out.get(0).getDtype());
        }
    }

    @Test
    void aFloat16TensorOfTheWrongLengthIsAnInvalidShapeThatSaysWhatWasExpected() {
        final float[] v = TestFrames.video(6, 1);
        try (Driver d = new Driver(settings(2, 2))) {
            d.send(FrameTokens.newBuilder(frame("cam", 0, v, 0))
                    .setDtype(TokenDtype.FLOAT16)
                    .build());
            d.send(FrameTokens.newBuilder(halfFrame("cam", 0, v, 0))
                    .setTensor(ByteBuffer.allocate(N * DIM * 2 - 1))
                    .build());
            d.send(FrameTokens.newBuilder(halfFrame("cam", 0, v, 0))
                    .setDtype(TokenDtype.FLOAT32)
                    .build());
            final List<TestRecord<byte[], byte[]>> dead = d.dlq.readRecordsToList();
            assertEquals(3, dead.size());
            final String[] details = dead.stream()
                    .map(r -> {
                        assertEquals("INVALID_SHAPE", DeadLetters.header(r.headers(), DeadLetters.REASON));
                        return DeadLetters.header(r.headers(), DeadLetters.DETAIL);
                    })
                    .toArray(String[]::new);
            final int halfBytes = N * DIM * 2;
            assertTrue(
                    details[0].contains("needs " + N + " x " + DIM + " x 2 = " + halfBytes + " tensor bytes, got "
                                    + 2 * halfBytes)
                            && details[0].contains("float32 data labelled FLOAT16"),
                    details[0]);
            assertTrue(
                    details[1].contains("got " + (halfBytes - 1)) && details[1].contains("not a whole number"),
                    details[1]);
            assertTrue(details[2].contains("float16 data labelled FLOAT32"), details[2]);
            assertTrue(d.windows.isEmpty());
        }
    }

    @ParameterizedTest
    @EnumSource(TokenDtype.class)
    void aVisionTowerFrameOf196x3584PassesWithTheDefaultLimits(final TokenDtype dtype) {
        final int grid = 14;
        final int dim = 3584;
        final int n = grid * grid;
        final float[] video = TestFrames.noise(11, 2 * n * dim); // nearly orthogonal tokens: nothing merges
        final Map<String, Object> s = settings(2, 2);
        s.put(CompressorConfig.RETENTION, 0.5);
        try (Driver d = new Driver(s)) {
            assertTrue(d.config.maxTokenDim() >= dim && d.config.maxTokensPerFrame() >= n, "default limits");
            final int size = TensorBytes.elementSize(dtype);
            for (int t = 0; t < 2; t++) {
                final FrameTokens f = FrameTokens.newBuilder()
                        .setStreamId("tower")
                        .setSequence(t)
                        .setTimestamp(t)
                        .setGridHeight(grid)
                        .setGridWidth(grid)
                        .setTokenDim(dim)
                        .setDtype(dtype)
                        .setTensor(TensorBytes.encode(video, t * n * dim, n * dim, dtype))
                        .setModelId("llava-ov-7b")
                        .build();
                final byte[] record = bytes(f);
                assertTrue(
                        record.length > n * dim * size && record.length < CompressorTopology.MAX_MESSAGE_BYTES,
                        "a tokens record of " + record.length + " bytes");
                d.tokens.pipeInput("tower".getBytes(StandardCharsets.UTF_8), record);
            }
            assertTrue(d.dlq.isEmpty(), "no dead letter");
            final KeyValueStore<Bytes, byte[]> frames = d.driver.getKeyValueStore(CompressorTopology.FRAME_STORE);
            assertEquals(Long.BYTES + n * dim * size, frames.get(CompressorProcessor.frameKey("tower", 1)).length);
            final byte[] window = d.windows.readValue();
            assertTrue(
                    window.length > n * dim * size && window.length < CompressorTopology.MAX_MESSAGE_BYTES,
                    "a window record of " + window.length + " bytes");
            final CompressedWindow w =
                    ScissorSerdes.compressedWindow().deserializer().deserialize("windows", window);
            assertEquals(dtype, w.getDtype());
            assertEquals(n, w.getTokenCount());
            assertEquals(
                    CompressorTopology.MAX_MESSAGE_BYTES,
                    d.config.streamsProperties().get(StreamsConfig.producerPrefix("max.request.size")),
                    "the producer may send it");
        }
    }

    @Test
    void nonFiniteFloat16ValuesAreDeadLetters() {
        final float[] v = TestFrames.video(7, 1);
        final float[] big = v.clone();
        big[11] = 70_000f; // beyond float16: infinite on the wire
        try (Driver d = new Driver(settings(2, 2))) {
            d.send(halfFrame("cam", 0, big, 0));
            assertEquals("NON_FINITE", DeadLetters.header(d.dlq.readRecord().headers(), DeadLetters.REASON));
        }
    }
}
