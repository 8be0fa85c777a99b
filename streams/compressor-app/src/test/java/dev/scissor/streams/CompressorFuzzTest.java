package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.DIM;
import static dev.scissor.streams.TestFrames.N;
import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.DeadLetters.Reason;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the compressor topology: thousands of records mixing valid frames of several
 * streams with garbage, truncated and bit-flipped records, unknown schemas, wrong and changing
 * shapes, NaN and infinities, hostile sizes, duplicates, reordering and wrong keys. Nothing may
 * throw, and every input record must be accounted for: in the dead-letter topic with a reason, or
 * accepted exactly once into its stream (then in an emitted window, or still in the stream's window
 * or reorder buffer at the end). The compressor's metrics must agree with those counts.
 */
class CompressorFuzzTest {

    private static final long SEED = 0x5C1550L;
    private static final int RECORDS = 4000;
    private static final int STREAMS = 4;
    private static final int VIDEO_FRAMES = 32;
    private static final AvroSingleObjectSerde<FrameTokens> SERDE = ScissorSerdes.frameTokens();

    @TempDir
    Path stateDir;

    /** The compressor topology under test, with its metrics and topics. */
    private final class Driver implements AutoCloseable {
        final CompressorConfig config;
        final Metrics registry = new Metrics();
        final CompressorMetrics metrics = new CompressorMetrics(registry);
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> tokens;
        final TestOutputTopic<byte[], byte[]> windows;
        final TestOutputTopic<byte[], byte[]> dlq;

        Driver(final Map<String, Object> settings) {
            final Map<String, Object> all = new HashMap<>(settings);
            all.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            all.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            config = new CompressorConfig(all);
            driver = new TopologyTestDriver(CompressorTopology.build(config, metrics), config.streamsProperties());
            tokens =
                    driver.createInputTopic(config.tokensTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            windows = driver.createOutputTopic(
                    config.windowsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            dlq = driver.createOutputTopic(config.dlqTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        @Override
        public void close() {
            driver.close();
            registry.close();
        }
    }

    /** What the fuzzer meant a record to be: only {@link #VALID} ones may be accepted. */
    private enum Kind {
        VALID,
        DUPLICATE,
        GARBAGE,
        TRUNCATED,
        BIT_FLIP,
        UNKNOWN_SCHEMA,
        WRONG_KEY,
        NULLS,
        BAD_SHAPE,
        CHANGED_SHAPE,
        NON_FINITE,
        HOSTILE_LENGTH,
        CHANGED_DTYPE
    }

    private static Map<String, Object> settings() {
        final Map<String, Object> s = new HashMap<>();
        s.put(CompressorConfig.WINDOW_FRAMES, 4);
        s.put(CompressorConfig.HOP_FRAMES, 2);
        s.put(CompressorConfig.GRACE_FRAMES, 2);
        s.put(CompressorConfig.MAX_TOKENS_PER_FRAME, 64);
        s.put(CompressorConfig.MAX_TOKEN_DIM, 64);
        return s;
    }

    @Test
    void everyRecordIsInAWindowOrADeadLetterAndTheMetricsAgree() {
        final Random rnd = new Random(SEED);
        final float[][] videos = new float[STREAMS][];
        final long[] next = new long[STREAMS];
        for (int s = 0; s < STREAMS; s++) {
            videos[s] = TestFrames.video(SEED + s, VIDEO_FRAMES);
        }
        final List<byte[]> values = new ArrayList<>();
        final List<Kind> kinds = new ArrayList<>();
        final EnumMap<Kind, Integer> sent = new EnumMap<>(Kind.class);
        try (Driver d = new Driver(settings())) {
            for (int i = 0; i < RECORDS; i++) {
                final int s = i < STREAMS ? i : rnd.nextInt(STREAMS); // each stream starts with a valid frame
                final String stream = "cam-" + s;
                final byte[] key = stream.getBytes(StandardCharsets.UTF_8);
                // Mostly in order, sometimes ahead (reordering within or beyond the grace).
                final long seq = next[s] + (rnd.nextInt(5) == 0 ? rnd.nextInt(4) : 0);
                next[s] = Math.max(next[s], seq + 1);
                final FrameTokens valid = frame(stream, seq, videos[s], (int) (seq % VIDEO_FRAMES));
                final Kind kind = i < STREAMS ? Kind.VALID : pick(rnd);
                byte[] k = key;
                byte[] v;
                switch (kind) {
                    case VALID -> v = bytes(valid);
                    case DUPLICATE -> {
                        final long old = Math.max(0, next[s] - 1 - rnd.nextInt(8));
                        v = bytes(frame(stream, old, videos[s], (int) (old % VIDEO_FRAMES)));
                    }
                    case GARBAGE -> {
                        v = new byte[rnd.nextInt(3) == 0 ? rnd.nextInt(10) : rnd.nextInt(2000)];
                        rnd.nextBytes(v);
                        if (v.length >= 2 && rnd.nextBoolean()) {
                            v[0] = (byte) 0xC3; // a plausible single-object marker
                            v[1] = 0x01;
                        }
                    }
                    case TRUNCATED -> {
                        final byte[] full = bytes(valid);
                        v = java.util.Arrays.copyOf(full, rnd.nextInt(full.length));
                    }
                    case BIT_FLIP -> {
                        v = bytes(valid);
                        for (int f = 1 + rnd.nextInt(3); f > 0; f--) {
                            final int at = rnd.nextInt(v.length);
                            v[at] ^= (byte) (1 << rnd.nextInt(8));
                        }
                    }
                    case UNKNOWN_SCHEMA -> {
                        v = bytes(valid);
                        v[2 + rnd.nextInt(8)] ^= (byte) (1 + rnd.nextInt(255));
                    }
                    case WRONG_KEY -> {
                        v = bytes(valid);
                        k = rnd.nextBoolean()
                                ? null
                                : ("cam-" + (s + 1 + rnd.nextInt(STREAMS - 1)) % STREAMS)
                                        .getBytes(StandardCharsets.UTF_8);
                    }
                    case NULLS -> {
                        v = rnd.nextBoolean() ? null : new byte[0];
                        k = rnd.nextBoolean() ? null : key;
                    }
                    case BAD_SHAPE -> v = bytes(badShape(rnd, valid));
                    case CHANGED_SHAPE ->
                        v = bytes(FrameTokens.newBuilder(valid)
                                .setGridHeight(2)
                                .setGridWidth(8)
                                .setModelId(rnd.nextBoolean() ? TestFrames.MODEL : "another-encoder")
                                .build());
                    case NON_FINITE -> {
                        final float[] bad = videos[s].clone();
                        final int t = (int) (seq % VIDEO_FRAMES);
                        bad[t * N * DIM + rnd.nextInt(N * DIM)] = switch (rnd.nextInt(3)) {
                            case 0 -> Float.NaN;
                            case 1 -> Float.POSITIVE_INFINITY;
                            default -> Float.NEGATIVE_INFINITY;
                        };
                        v = bytes(frame(stream, seq, bad, t));
                    }
                    case HOSTILE_LENGTH -> v = hostileLengths(rnd, stream, seq);
                    case CHANGED_DTYPE ->
                        v = bytes(TestFrames.halfFrame(stream, seq, videos[s], (int) (seq % VIDEO_FRAMES)));
                    default -> throw new AssertionError(kind);
                }
                values.add(v);
                kinds.add(kind);
                sent.merge(kind, 1, Integer::sum);
                d.tokens.pipeInput(k, v); // must not throw, whatever the record
            }

            // Dead letters, by input offset.
            final Map<Long, Reason> dead = new HashMap<>();
            final EnumMap<Reason, Integer> deadByReason = new EnumMap<>(Reason.class);
            for (final TestRecord<byte[], byte[]> r : d.dlq.readRecordsToList()) {
                final String reason = DeadLetters.header(r.headers(), DeadLetters.REASON);
                assertNotNull(reason, "every dead letter has a reason");
                assertTrue(DeadLetters.header(r.headers(), DeadLetters.DETAIL).length() > 10);
                final long offset = Long.parseLong(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET));
                assertNull(dead.put(offset, Reason.valueOf(reason)), "one dead letter per record");
                final byte[] in = values.get((int) offset);
                assertTrue(
                        in == null ? r.value() == null : java.util.Arrays.equals(in, r.value()),
                        "a dead letter keeps its value unchanged");
                deadByReason.merge(Reason.valueOf(reason), 1, Integer::sum);
            }

            // Accepted records: each (stream, sequence) at most once, and only records meant to be valid
            // (or a bit flip or reordering that happened to leave a valid frame).
            final Map<String, Set<Long>> accepted = new HashMap<>();
            int acceptedCount = 0;
            for (int i = 0; i < RECORDS; i++) {
                if (dead.containsKey((long) i)) {
                    continue;
                }
                final Kind kind = kinds.get(i);
                assertTrue(
                        kind == Kind.VALID
                                || kind == Kind.BIT_FLIP
                                || kind == Kind.DUPLICATE
                                || kind == Kind.CHANGED_SHAPE,
                        "record " + i + " (" + kind + ") should have been a dead letter");
                final FrameTokens f = SERDE.deserializer().deserialize("tokens", values.get(i));
                assertTrue(
                        accepted.computeIfAbsent(f.getStreamId(), x -> new HashSet<>())
                                .add(f.getSequence()),
                        "record " + i + ": frame " + f.getSequence() + " of " + f.getStreamId() + " accepted twice");
                acceptedCount++;
            }

            // Every accepted frame is in an emitted window of its stream, or still held in its state.
            final Map<String, Set<Long>> windowed = new HashMap<>();
            final EnumMap<EmitReason, Integer> windowsByReason = new EnumMap<>(EmitReason.class);
            for (final TestRecord<byte[], byte[]> r : d.windows.readRecordsToList()) {
                final CompressedWindow w =
                        ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value());
                assertEquals(w.getStreamId(), new String(r.key(), StandardCharsets.UTF_8));
                windowed.computeIfAbsent(w.getStreamId(), x -> new HashSet<>()).addAll(w.getFrameSequences());
                windowsByReason.merge(w.getEmitReason(), 1, Integer::sum);
            }
            final KeyValueStore<String, byte[]> states = d.driver.getKeyValueStore(CompressorTopology.STATE_STORE);
            try (KeyValueIterator<String, byte[]> it = states.all()) {
                it.forEachRemaining(kv -> {
                    final StreamState st = StreamState.decode(kv.value);
                    final Set<Long> held = windowed.computeIfAbsent(kv.key, x -> new HashSet<>());
                    for (final long q : st.windowSeqs) {
                        held.add(q);
                    }
                    for (final long q : st.pending) {
                        held.add(q);
                    }
                });
            }
            for (final Map.Entry<String, Set<Long>> e : accepted.entrySet()) {
                final Set<Long> missing = new HashSet<>(e.getValue());
                missing.removeAll(windowed.getOrDefault(e.getKey(), Set.of()));
                assertTrue(missing.isEmpty(), "accepted frames of " + e.getKey() + " in no window: " + missing);
                final Set<Long> extra = new HashSet<>(windowed.getOrDefault(e.getKey(), Set.of()));
                extra.removeAll(e.getValue());
                assertTrue(extra.isEmpty(), "windows of " + e.getKey() + " hold frames never accepted: " + extra);
            }
            for (final String stream : windowed.keySet()) {
                assertTrue(accepted.containsKey(stream) || windowed.get(stream).isEmpty(), stream);
            }

            // Every record is accounted for, and the metrics say the same.
            assertEquals(RECORDS, acceptedCount + dead.size(), "accepted + dead letters = records");
            assertEquals(RECORDS, d.metrics.tokenFrames());
            for (final Reason r : Reason.values()) {
                assertEquals(deadByReason.getOrDefault(r, 0).longValue(), d.metrics.deadLetters(r), r.name());
            }
            for (final EmitReason r : EmitReason.values()) {
                assertEquals(windowsByReason.getOrDefault(r, 0).longValue(), d.metrics.windows(r), r.name());
            }
            assertEquals((long) acceptedCount * N, d.metrics.tokensIn.sum(), "tokens in = accepted frames x N");
            assertEquals(
                    0,
                    deadByReason.getOrDefault(Reason.PROCESSING_ERROR, 0),
                    "no record made the compressor fail: " + deadByReason);

            // The fuzzer really reached every rejection path it aims at.
            for (final Reason r : List.of(
                    Reason.UNDECODABLE,
                    Reason.UNKNOWN_SCHEMA,
                    Reason.KEY_MISMATCH,
                    Reason.INVALID_SHAPE,
                    Reason.TOO_MANY_TOKENS,
                    Reason.DIMENSION_MISMATCH,
                    Reason.MODEL_MISMATCH,
                    Reason.NON_FINITE,
                    Reason.DUPLICATE,
                    Reason.LATE,
                    Reason.DTYPE_MISMATCH)) {
                assertTrue(deadByReason.getOrDefault(r, 0) > 0, "no " + r + " in " + deadByReason);
            }
            assertTrue(windowsByReason.getOrDefault(EmitReason.HOP, 0) > 100, "windows: " + windowsByReason);
            for (final Kind kind : Kind.values()) {
                assertTrue(sent.getOrDefault(kind, 0) > 0, "sent no " + kind);
            }
        }
    }

    @Test
    void hostileSizesInsideTheRecordAreRejectedBeforeAllocating() {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final Random rnd = new Random(SEED);
        try (Driver d = new Driver(settings())) {
            d.tokens.pipeInput("warm".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}); // load classes first
            d.dlq.readRecordsToList();
            final List<byte[]> hostile = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                hostile.add(hostileLengths(rnd, "cam", i));
            }
            final float[] v = TestFrames.video(1, 1);
            for (final int[] shape : new int[][] {
                {-4, -4, 8},
                {-1, 16, 8},
                {4, 4, -8},
                {0, 4, 8},
                {Integer.MIN_VALUE, -1, 8},
                {65536, 65536, 8},
                {4, 4, Integer.MAX_VALUE},
                {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}
            }) {
                hostile.add(bytes(FrameTokens.newBuilder(frame("cam", 0, v, 0))
                        .setGridHeight(shape[0])
                        .setGridWidth(shape[1])
                        .setTokenDim(shape[2])
                        .build()));
            }
            for (final int[] shape : new int[][] {
                {65536, 65536, 8}, {4, 4, Integer.MAX_VALUE}, {4, 4, 1 << 30}, {Integer.MAX_VALUE, 1, 2}
            }) { // float16: a 2-byte element size must not hide an overflow
                hostile.add(bytes(FrameTokens.newBuilder(TestFrames.halfFrame("cam", 0, v, 0))
                        .setGridHeight(shape[0])
                        .setGridWidth(shape[1])
                        .setTokenDim(shape[2])
                        .build()));
            }
            hostile.add(bytes(FrameTokens.newBuilder(frame("cam", 0, v, 0))
                    .setDtype( // 4 bytes per float16 value
                            dev.scissor.schemas.avro.TokenDtype.FLOAT16)
                    .build()));
            hostile.add(bytes(FrameTokens.newBuilder(TestFrames.halfFrame("cam", 0, v, 0)) // an odd length
                    .setTensor(ByteBuffer.allocate(N * DIM * 2 + 1))
                    .build()));
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (final byte[] value : hostile) {
                d.tokens.pipeInput("cam".getBytes(StandardCharsets.UTF_8), value);
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final List<TestRecord<byte[], byte[]>> dead = d.dlq.readRecordsToList();
            assertEquals(hostile.size(), dead.size(), "every hostile record is a dead letter");
            for (final TestRecord<byte[], byte[]> r : dead) {
                final String reason = DeadLetters.header(r.headers(), DeadLetters.REASON);
                assertTrue(
                        Set.of("UNDECODABLE", "INVALID_SHAPE", "TOO_MANY_TOKENS")
                                .contains(reason),
                        reason);
            }
            assertTrue(
                    allocated < 64L << 20,
                    "rejecting " + hostile.size() + " hostile records allocated " + (allocated >> 20)
                            + " MiB: a declared length was allocated before it was checked");
            assertTrue(d.windows.isEmpty());
        }
    }

    private static Kind pick(final Random rnd) {
        final int p = rnd.nextInt(100);
        if (p < 55) {
            return Kind.VALID;
        }
        final Kind[] bad = {
            Kind.DUPLICATE,
            Kind.GARBAGE,
            Kind.TRUNCATED,
            Kind.BIT_FLIP,
            Kind.UNKNOWN_SCHEMA,
            Kind.WRONG_KEY,
            Kind.NULLS,
            Kind.BAD_SHAPE,
            Kind.CHANGED_SHAPE,
            Kind.NON_FINITE,
            Kind.HOSTILE_LENGTH,
            Kind.CHANGED_DTYPE
        };
        return bad[rnd.nextInt(bad.length)];
    }

    /** A frame whose declared sizes are wrong: below 1, negative, over the limits or not matching its tensor. */
    private static FrameTokens badShape(final Random rnd, final FrameTokens valid) {
        final FrameTokens.Builder b = FrameTokens.newBuilder(valid);
        switch (rnd.nextInt(7)) {
            case 0 -> b.setGridHeight(-rnd.nextInt(Integer.MAX_VALUE));
            case 1 -> b.setGridWidth(0);
            case 2 -> b.setTokenDim(-1 - rnd.nextInt(1000));
            case 3 -> b.setGridHeight(1 << (10 + rnd.nextInt(20))).setGridWidth(1 << (10 + rnd.nextInt(20)));
            case 4 -> b.setTokenDim(65 + rnd.nextInt(Integer.MAX_VALUE - 65));
            case 5 -> b.setTensor(ByteBuffer.allocate(rnd.nextInt(N * DIM * 4)));
            default -> b.setDtype(dev.scissor.schemas.avro.TokenDtype.FLOAT16);
        }
        return b.build();
    }

    /**
     * A FrameTokens record of the current schema whose string or bytes length prefix claims far more
     * than the record holds (up to 2 GiB), or is negative.
     */
    static byte[] hostileLengths(final Random rnd, final String stream, final long seq) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xC3);
        out.write(0x01);
        final byte[] fp = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(AvroSingleObjectSerde.fingerprint(FrameTokens.getClassSchema()))
                .array();
        out.writeBytes(fp);
        final long[] lies = {
            Integer.MAX_VALUE - 8,
            Integer.MAX_VALUE,
            1L << 40,
            -1,
            -(1L << 31),
            1 << 30,
            N * DIM * 4 + 1 + rnd.nextInt(1 << 20)
        };
        final long lie = lies[rnd.nextInt(lies.length)];
        final boolean inString = rnd.nextInt(3) == 0;
        try {
            final BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
            if (inString) {
                e.writeLong(lie);
                e.writeFixed(stream.getBytes(StandardCharsets.UTF_8));
            } else {
                e.writeString(stream);
            }
            e.writeLong(seq);
            e.writeLong(seq * 1000);
            e.writeInt(TestFrames.GRID);
            e.writeInt(TestFrames.GRID);
            e.writeInt(DIM);
            e.writeEnum(0);
            if (inString) {
                e.writeBytes(new byte[N * DIM * 4]);
            } else {
                e.writeLong(lie);
                e.writeFixed(new byte[rnd.nextInt(64)]);
            }
            e.writeString(TestFrames.MODEL);
            e.flush();
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }
}
