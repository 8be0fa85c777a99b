package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.DIM;
import static dev.scissor.streams.TestFrames.N;
import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressorTopologyTest {

    @TempDir
    Path stateDir;

    /** A driver over the compressor topology, with its three topics. */
    private final class Driver implements AutoCloseable {
        final CompressorConfig config;
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> tokens;
        final TestOutputTopic<String, CompressedWindow> windows;
        final TestOutputTopic<byte[], byte[]> dlq;

        Driver(final Map<String, Object> settings) {
            final Map<String, Object> all = new HashMap<>(settings);
            all.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            all.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            config = new CompressorConfig(all);
            final Properties props = config.streamsProperties();
            driver = new TopologyTestDriver(CompressorTopology.build(config), props);
            tokens =
                    driver.createInputTopic(config.tokensTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            windows = driver.createOutputTopic(
                    config.windowsTopic(),
                    new StringDeserializer(),
                    ScissorSerdes.compressedWindow().deserializer());
            dlq = driver.createOutputTopic(config.dlqTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        void send(final FrameTokens f) {
            tokens.pipeInput(f.getStreamId().getBytes(StandardCharsets.UTF_8), bytes(f));
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    private static Map<String, Object> window(final int w, final int h) {
        final Map<String, Object> m = new HashMap<>();
        m.put(CompressorConfig.WINDOW_FRAMES, w);
        m.put(CompressorConfig.HOP_FRAMES, h);
        return m;
    }

    private static void assertSameWindow(final WindowResult expected, final CompressedWindow actual) {
        assertArrayEquals(
                expected.frameSeqs(),
                actual.getFrameSequences().stream().mapToLong(Long::longValue).toArray());
        assertEquals(expected.frameSeqs()[0], actual.getFirstSequence());
        assertEquals(expected.frameSeqs()[expected.frames() - 1], actual.getLastSequence());
        assertEquals(expected.tokenCount(), actual.getTokenCount());
        assertEquals(DIM, actual.getTokenDim());
        assertArrayEquals(expected.tokens(), TensorBytes.decode(actual), "tokens are bit-identical");
        assertArrayEquals(
                expected.mergedCounts(),
                actual.getMergedCounts().stream().mapToInt(Integer::intValue).toArray());
        assertArrayEquals(
                expected.firstFrameSeq(),
                actual.getFirstFrame().stream().mapToLong(Long::longValue).toArray());
        assertArrayEquals(
                expected.lastFrameSeq(),
                actual.getLastFrame().stream().mapToLong(Long::longValue).toArray());
        for (int j = 0; j < expected.tokenCount(); j++) {
            assertEquals(expected.meanRow()[j], actual.getMeanRow().get(j));
            assertEquals(expected.meanCol()[j], actual.getMeanCol().get(j));
        }
        assertEquals(expected.inputTokens(), actual.getStats().getTokensIn());
        assertEquals(expected.spatialTokens(), actual.getStats().getSpatialTokens());
        assertEquals(expected.tokenCount(), actual.getStats().getTokensOut());
    }

    @Test
    void windowsEqualTheCompressorCalledDirectlyOnTheSameFrames() {
        final float[] a = TestFrames.video(1, 10);
        final float[] b = TestFrames.video(2, 10);
        try (Driver d = new Driver(window(4, 2))) {
            for (int t = 0; t < 10; t++) {
                d.send(frame("cam-a", 100 + t, a, t));
                d.send(frame("cam-b", t, b, t));
            }
            final List<TestRecord<String, CompressedWindow>> out = d.windows.readRecordsToList();
            assertEquals(8, out.size(), "windows at frames 4, 6, 8 and 10 of each stream");
            int ia = 0;
            int ib = 0;
            for (final TestRecord<String, CompressedWindow> r : out) {
                final boolean isA = r.key().equals("cam-a");
                final int start = 2 * (isA ? ia++ : ib++);
                final int[] idx = TestFrames.range(start, start + 4);
                final long[] seqs = TestFrames.longs(idx);
                if (isA) {
                    for (int i = 0; i < 4; i++) {
                        seqs[i] += 100;
                    }
                }
                assertEquals(r.key(), r.value().getStreamId());
                assertSameWindow(TestFrames.direct(d.config.params(), isA ? a : b, idx, seqs), r.value());
                assertEquals(EmitReason.HOP, r.value().getEmitReason());
                assertEquals(1_000L * seqs[0], r.value().getFirstTimestamp());
                assertEquals(1_000L * seqs[3], r.value().getLastTimestamp());
                assertEquals(4, r.value().getParams().getWindowFrames());
                assertEquals(2, r.value().getParams().getHopFrames());
                assertEquals("classic", r.value().getParams().getMode());
            }
            assertTrue(d.dlq.isEmpty());
        }
    }

    @Test
    void firstWindowWaitsForWFramesThenOneEveryHop() {
        final float[] v = TestFrames.video(3, 12);
        try (Driver d = new Driver(window(5, 3))) {
            final List<Long> lastSeqs = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                d.send(frame("cam", t, v, t));
                if (!d.windows.isEmpty()) {
                    final CompressedWindow w = d.windows.readValue();
                    lastSeqs.add(w.getLastSequence());
                    assertEquals(5, w.getFrameCount());
                    assertEquals(w.getLastSequence() - 4, w.getFirstSequence());
                }
            }
            assertEquals(List.of(4L, 7L, 10L), lastSeqs);
        }
    }

    @Test
    void budgetModeGivesExactlyTheBudget() {
        final float[] v = TestFrames.video(4, 6);
        final Map<String, Object> s = window(3, 3);
        s.put(CompressorConfig.BUDGET_TOKENS, 7);
        try (Driver d = new Driver(s)) {
            for (int t = 0; t < 6; t++) {
                d.send(frame("cam", t, v, t));
            }
            final List<CompressedWindow> out = d.windows.readValuesToList();
            assertEquals(2, out.size());
            for (int i = 0; i < 2; i++) {
                assertEquals(7, out.get(i).getTokenCount());
                assertEquals(7, out.get(i).getParams().getBudget());
                assertEquals("budget", out.get(i).getParams().getMode());
                final int[] idx = TestFrames.range(3 * i, 3 * i + 3);
                assertSameWindow(TestFrames.direct(d.config.params(), v, idx, TestFrames.longs(idx)), out.get(i));
            }
        }
    }

    @Test
    void eventModeEmitsEarlyOnASceneCut() {
        final float[] v = TestFrames.video(5, 8);
        final float[] cut = new float[v.length];
        for (int i = 0; i < cut.length; i++) {
            cut[i] = (i % DIM == i / DIM % DIM) ? 1f : 0f; // one-hot tokens: unlike anything in v
        }
        final Map<String, Object> s = window(8, 8);
        s.put(CompressorConfig.EMIT_MODE, "event");
        try (Driver d = new Driver(s)) {
            for (int t = 0; t < 5; t++) {
                d.send(frame("cam", t, v, t));
            }
            assertTrue(d.windows.isEmpty(), "no scene change yet, window not full");
            d.send(frame("cam", 5, cut, 0));
            final CompressedWindow early = d.windows.readValue();
            assertEquals(EmitReason.SCENE_CHANGE, early.getEmitReason());
            assertEquals(0, early.getFirstSequence());
            assertEquals(5, early.getLastSequence());
            d.send(frame("cam", 6, cut, 0));
            assertTrue(d.windows.isEmpty(), "the same scene again is no change");
        }
    }

    @Test
    void graceReordersFramesWithinItAndLateOnesAreDeadLetters() {
        final float[] v = TestFrames.video(6, 10);
        final List<CompressedWindow> inOrder;
        try (Driver d = new Driver(window(4, 2))) {
            for (int t = 0; t < 10; t++) {
                d.send(frame("cam", t, v, t));
            }
            inOrder = d.windows.readValuesToList();
        }
        final Map<String, Object> s = window(4, 2);
        s.put(CompressorConfig.GRACE_FRAMES, 2);
        try (Driver d = new Driver(s)) {
            for (final int t : new int[] {1, 0, 3, 2, 4, 6, 5, 8, 7, 9}) {
                d.send(frame("cam", t, v, t));
            }
            final List<CompressedWindow> reordered = d.windows.readValuesToList();
            assertEquals(inOrder.size(), reordered.size());
            for (int i = 0; i < inOrder.size(); i++) {
                assertEquals(
                        inOrder.get(i).getFrameSequences(), reordered.get(i).getFrameSequences());
                assertEquals(inOrder.get(i).getTokens(), reordered.get(i).getTokens());
            }
            assertTrue(d.dlq.isEmpty());
        }
    }

    /** One bad record per rejection class, each followed by the stream going on. */
    @Test
    void everyBadInputGoesToTheDlqWithItsReasonAndTheStreamGoesOn() {
        final float[] v = TestFrames.video(7, 12);
        final Map<String, Object> s = window(2, 1);
        s.put(CompressorConfig.MAX_TOKENS_PER_FRAME, 64);
        try (Driver d = new Driver(s)) {
            d.send(frame("cam", 0, v, 0));
            d.send(frame("cam", 1, v, 1));
            assertEquals(1, d.windows.readValuesToList().size());
            final byte[] key = "cam".getBytes(StandardCharsets.UTF_8);
            final List<String> expected = new ArrayList<>();

            d.tokens.pipeInput(key, "not avro at all".getBytes(StandardCharsets.UTF_8));
            expected.add("UNDECODABLE");
            final byte[] truncated = bytes(frame("cam", 2, v, 2));
            d.tokens.pipeInput(key, java.util.Arrays.copyOf(truncated, 40));
            expected.add("UNDECODABLE");
            d.tokens.pipeInput(key, (byte[]) null);
            expected.add("UNDECODABLE");
            final byte[] unknown = bytes(frame("cam", 2, v, 2));
            unknown[5] ^= 0x5A; // another schema fingerprint
            d.tokens.pipeInput(key, unknown);
            expected.add("UNKNOWN_SCHEMA");
            d.tokens.pipeInput("other-cam".getBytes(StandardCharsets.UTF_8), bytes(frame("cam", 2, v, 2)));
            expected.add("KEY_MISMATCH");
            d.tokens.pipeInput((byte[]) null, bytes(frame("cam", 2, v, 2)));
            expected.add("KEY_MISMATCH");
            d.send(FrameTokens.newBuilder(frame("cam", 2, v, 2))
                    .setGridHeight(0)
                    .build());
            expected.add("INVALID_SHAPE");
            d.send(FrameTokens.newBuilder(frame("cam", 2, v, 2))
                    .setTensor(ByteBuffer.allocate(12))
                    .build());
            expected.add("INVALID_SHAPE");
            d.send(FrameTokens.newBuilder(frame("cam", 2, v, 2))
                    .setDtype(TokenDtype.FLOAT16)
                    .build());
            expected.add("INVALID_SHAPE");
            d.send(FrameTokens.newBuilder(frame("cam", 2, v, 2))
                    .setGridHeight(1 << 20)
                    .setGridWidth(1 << 20)
                    .build());
            expected.add("TOO_MANY_TOKENS");
            d.send(FrameTokens.newBuilder(frame("cam", 2, v, 2))
                    .setGridHeight(8)
                    .setGridWidth(2)
                    .build());
            expected.add("DIMENSION_MISMATCH");
            d.send(FrameTokens.newBuilder(frame("cam", 2, v, 2))
                    .setModelId("another-encoder")
                    .build());
            expected.add("MODEL_MISMATCH");
            final float[] nan = v.clone();
            nan[2 * N * DIM + 5] = Float.NaN;
            d.send(frame("cam", 2, nan, 2));
            expected.add("NON_FINITE");
            final float[] inf = v.clone();
            inf[2 * N * DIM + 7] = Float.NEGATIVE_INFINITY;
            d.send(frame("cam", 2, inf, 2));
            expected.add("NON_FINITE");
            d.send(frame("cam", 1, v, 1));
            expected.add("DUPLICATE");
            d.send(frame("cam", 0, v, 0));
            expected.add("DUPLICATE");

            d.send(frame("cam", 2, v, 2));
            d.send(frame("cam", 4, v, 4)); // a gap is fine
            d.send(frame("cam", 3, v, 3));
            expected.add("LATE");
            d.send(frame("cam", 0, v, 0));
            expected.add("LATE");
            final List<CompressedWindow> after = d.windows.readValuesToList();
            assertEquals(2, after.size(), "the stream went on after every bad record");
            assertEquals(List.of(2L, 4L), after.get(1).getFrameSequences());

            final List<TestRecord<byte[], byte[]>> dead = d.dlq.readRecordsToList();
            final List<String> reasons = new ArrayList<>();
            for (final TestRecord<byte[], byte[]> r : dead) {
                reasons.add(DeadLetters.header(r.headers(), DeadLetters.REASON));
                assertEquals("compressor", DeadLetters.header(r.headers(), DeadLetters.STAGE));
                assertEquals("tokens", DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC));
                assertEquals("0", DeadLetters.header(r.headers(), DeadLetters.SOURCE_PARTITION));
                assertTrue(Long.parseLong(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET)) >= 2);
                assertTrue(DeadLetters.header(r.headers(), DeadLetters.DETAIL).length() > 10);
            }
            assertEquals(expected, reasons);
            assertArrayEquals(
                    "not avro at all".getBytes(StandardCharsets.UTF_8),
                    dead.get(0).value(),
                    "the dead letter keeps the record unchanged");
            assertNull(dead.get(2).value());
            assertArrayEquals(unknown, dead.get(3).value());
        }
    }

    @Test
    void aFrameWhoseWindowCannotBeHeldIsRejectedBeforeAllocating() {
        final Map<String, Object> s = window(256, 1);
        s.put(CompressorConfig.MAX_TOKENS_PER_FRAME, 1 << 16);
        s.put(CompressorConfig.MAX_TOKEN_DIM, 1 << 16);
        try (Driver d = new Driver(s)) {
            d.send(FrameTokens.newBuilder(frame("cam", 0, TestFrames.video(9, 1), 0))
                    .setGridHeight(256)
                    .setGridWidth(256)
                    .setTokenDim(1 << 16)
                    .build());
            final TestRecord<byte[], byte[]> dead = d.dlq.readRecord();
            assertEquals("TOO_MANY_TOKENS", DeadLetters.header(dead.headers(), DeadLetters.REASON));
            assertTrue(DeadLetters.header(dead.headers(), DeadLetters.DETAIL).contains(CompressorConfig.WINDOW_FRAMES));
            assertTrue(d.windows.isEmpty());
        }
    }

    @Test
    void latestWindowIsInTheQueryableStore() {
        final float[] v = TestFrames.video(8, 6);
        try (Driver d = new Driver(window(3, 1))) {
            for (int t = 0; t < 6; t++) {
                d.send(frame("cam", t, v, t));
            }
            final List<CompressedWindow> out = d.windows.readValuesToList();
            final KeyValueStore<String, byte[]> store = d.driver.getKeyValueStore(CompressorTopology.LATEST_STORE);
            final CompressedWindow latest =
                    ScissorSerdes.compressedWindow().deserializer().deserialize("x", store.get("cam"));
            assertEquals(out.get(out.size() - 1), latest);
            assertEquals(5, latest.getLastSequence());
            assertNull(store.get("nobody"));
        }
    }

    @Test
    void invalidSettingsFailAtStartWithTheKeyName() {
        final Map<String, Object> hop = window(4, 5);
        assertTrue(assertThrows(ConfigException.class, () -> new CompressorConfig(hop))
                .getMessage()
                .contains(CompressorConfig.HOP_FRAMES));
        assertTrue(assertThrows(ConfigException.class, () -> new CompressorConfig(Map.of(CompressorConfig.TAU, 1.5)))
                .getMessage()
                .contains(CompressorConfig.TAU));
        assertTrue(assertThrows(
                        ConfigException.class,
                        () -> new CompressorConfig(
                                Map.of(CompressorConfig.BUDGET_TOKENS, 5, CompressorConfig.RETENTION, 0.1)))
                .getMessage()
                .contains(CompressorConfig.RETENTION));
        assertTrue(assertThrows(
                        ConfigException.class,
                        () -> new CompressorConfig(Map.of(CompressorConfig.EMIT_MODE, "sometimes")))
                .getMessage()
                .contains(CompressorConfig.EMIT_MODE));
        assertTrue(assertThrows(
                        ConfigException.class, () -> new CompressorConfig(Map.of(CompressorConfig.MODE, "refined")))
                .getMessage()
                .contains(CompressorConfig.MODE));
        assertTrue(assertThrows(
                        ConfigException.class,
                        () -> new CompressorConfig(
                                Map.of(CompressorConfig.MODE, "fancy", CompressorConfig.RETENTION, 0.1)))
                .getMessage()
                .contains(CompressorConfig.MODE));
        assertEquals(
                ScissorParams.Mode.REFINED,
                new CompressorConfig(Map.of(CompressorConfig.MODE, "refined", CompressorConfig.RETENTION, 0.1))
                        .params()
                        .mode());
        assertTrue(assertThrows(ConfigException.class, () -> new CompressorConfig(Map.of("scissor.windw.frames", 3)))
                .getMessage()
                .contains("scissor.windw.frames"));
        assertTrue(assertThrows(
                        ConfigException.class, () -> new CompressorConfig(Map.of(CompressorConfig.DLQ_TOPIC, "tokens")))
                .getMessage()
                .contains(CompressorConfig.DLQ_TOPIC));
        final CompressorConfig ok = new CompressorConfig(Map.of("bootstrap.servers", "b:9092"));
        assertEquals("exactly_once_v2", ok.streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("b:9092", ok.streamsProperties().get("bootstrap.servers"));
        assertNull(ok.streamsProperties().get(CompressorConfig.TAU));
        assertEquals(ScissorParams.defaults(), ok.params());
        assertEquals(
                CompressorTopology.MAX_MESSAGE_BYTES,
                ok.streamsProperties().get(StreamsConfig.producerPrefix("max.request.size")));
    }
}
