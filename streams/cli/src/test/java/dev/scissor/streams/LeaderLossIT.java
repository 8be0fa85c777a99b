package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.SlidingWindow;
import dev.scissor.compressor.WindowResult;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.CaptureStage;
import dev.scissor.pipeline.EncoderWorkers;
import dev.scissor.pipeline.PipelineTestSupport;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.testkit.EmbeddedKafkaCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline on a three-broker cluster (topics at replication factor 3, {@code min.insync.replicas=2}):
 * four live (real-time lavfi, 1 fps) cameras through capture, the default encoder and the compressor, while the broker that
 * leads the most partitions is stopped (a controlled shutdown; its leaderships move to the in-sync followers) and
 * either brought back 8 s later or never.
 *
 * <p>What it proves: no stage fails or loses a frame (capture's sends all succeed, with {@code acks=all} on the two
 * remaining replicas); {@code tokens} holds every captured frame exactly once ({@code read_committed}); and
 * {@code windows} ({@code read_committed}) holds every window exactly once, bit-identical to the compressor library
 * run directly on the frames {@code tokens} holds, which is what an undisturbed run gives for the same frames.
 */
class LeaderLossIT {

    private static final int CAMERAS = 4;
    private static final int W = 4;
    private static final int H = 2;
    private static final List<String> TOPICS = List.of("frames", "tokens", "windows", "dlq");
    private static final List<String> SOURCES = List.of(
            "testsrc2=size=320x240:rate=25",
            "testsrc=size=320x240:rate=25",
            "smptebars=size=320x240:rate=25",
            "rgbtestsrc=size=320x240:rate=25");

    @BeforeAll
    static void assets() {
        PipelineTestSupport.assumeDefaultModel();
        AvroTrust.trustGeneratedClasses();
    }

    @Test
    void leaderStoppedAndBroughtBackLosesAndDuplicatesNothing() throws Exception {
        run(true);
    }

    @Test
    void leaderThatNeverReturnsLosesAndDuplicatesNothing() throws Exception {
        run(false);
    }

    private static void run(final boolean returns) throws Exception {
        final Path stateDir = Files.createTempDirectory("scissor-leader-loss-");
        final long t0 = System.nanoTime();
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(3)) {
            final Map<String, Integer> partitions = new LinkedHashMap<>();
            TOPICS.forEach(t -> partitions.put(t, t.equals("dlq") ? 1 : 4));
            kafka.createTopics(partitions);
            final Map<String, Object> c = new LinkedHashMap<>();
            c.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            c.put(StreamsConfig.APPLICATION_ID_CONFIG, "scissor-leader-loss");
            c.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            c.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
            c.put(CompressorConfig.WINDOW_FRAMES, W);
            c.put(CompressorConfig.HOP_FRAMES, H);
            c.put(CompressorConfig.HTTP_PORT, -1);
            final CompressorConfig config = new CompressorConfig(c);
            final Map<String, Object> e = new LinkedHashMap<>();
            e.put("bootstrap.servers", kafka.bootstrapServers());
            e.put("group.id", "scissor-leader-loss-encoder");
            final Map<String, Object> cap = new LinkedHashMap<>();
            cap.put("bootstrap.servers", kafka.bootstrapServers());
            cap.put(CaptureConfig.REALTIME, true);
            cap.put(CaptureConfig.FPS, 1.0);
            final List<CaptureStage.Source> sources = new ArrayList<>();
            for (int i = 0; i < CAMERAS; i++) {
                sources.add(new CaptureStage.Source("cam-" + i, SourceSpec.parse("lavfi:" + SOURCES.get(i))));
            }
            final long captured;
            final int stoppedBroker;
            final Map<Integer, Integer> leadersBefore;
            try (EncoderWorkers encoder = new EncoderWorkers(e, 1);
                    CompressorApp compressor = new CompressorApp(config)) {
                compressor.start();
                encoder.start();
                assertTrue(compressor.awaitRunning(Duration.ofSeconds(30)), "compressor running");
                try (CaptureStage capture = new CaptureStage(new CaptureConfig(cap), sources)) {
                    capture.start();
                    await(
                            "windows before the outage",
                            Duration.ofSeconds(30),
                            () -> compressor.compressorMetrics().windows(EmitReason.HOP) >= CAMERAS);
                    leadersBefore = kafka.leaderCounts(TOPICS);
                    stoppedBroker = kafka.leaderOfMostPartitions(TOPICS);
                    kafka.stopBroker(stoppedBroker);
                    Thread.sleep(8_000);
                    if (returns) {
                        kafka.startBroker(stoppedBroker, Duration.ofSeconds(30));
                    }
                    Thread.sleep(4_000);
                    capture.close();
                    captured = capture.framesSent();
                    assertEquals(0, capture.failedSends(), "no frame lost: " + capture.lastSendError());
                    assertEquals(0, capture.failedStreams());
                }
                await(
                        "every frame encoded",
                        Duration.ofSeconds(30),
                        () -> encoder.tokensOut() + encoder.deadLetters() >= captured);
                assertNull(encoder.failure());
                assertEquals(0, encoder.deadLetters());
                await(
                        "every frame's tokens committed",
                        Duration.ofSeconds(30),
                        () -> readCommitted(kafka, "tokens", r -> r).size() >= captured);
                final int expectedWindows = expectedWindowCount(readCommitted(kafka, "tokens", r -> r));
                await(
                        "every window",
                        Duration.ofSeconds(30),
                        () -> readCommitted(kafka, "windows", r -> r).size() >= expectedWindows);
                Thread.sleep(1_000); // anything more would be a duplicate
                assertNull(compressor.failure());
            }
            final List<FrameTokens> tokens = readCommitted(
                    kafka,
                    "tokens",
                    r -> ScissorSerdes.frameTokens().deserializer().deserialize("tokens", r.value()));
            final List<CompressedWindow> windows = readCommitted(
                    kafka,
                    "windows",
                    r -> ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value()));
            assertEquals(captured, tokens.size(), "tokens holds every captured frame");
            assertEquals(0, readCommitted(kafka, "dlq", r -> r).size(), "no dead letters");
            final Map<String, List<FrameTokens>> framesByStream = byStream(tokens, FrameTokens::getStreamId);
            final Map<String, List<CompressedWindow>> windowsByStream =
                    byStream(windows, CompressedWindow::getStreamId);
            assertEquals(CAMERAS, framesByStream.size());
            for (final Map.Entry<String, List<FrameTokens>> s : framesByStream.entrySet()) {
                final List<FrameTokens> frames = s.getValue();
                assertEquals(
                        frames.size(),
                        frames.stream()
                                .mapToLong(FrameTokens::getSequence)
                                .distinct()
                                .count(),
                        s.getKey() + ": every frame once in tokens");
                final List<CompressedWindow> got = windowsByStream.getOrDefault(s.getKey(), List.of());
                final int expected = (frames.size() - W) / H + 1;
                assertEquals(expected, got.size(), s.getKey() + ": every window exactly once");
                for (int k = 0; k < expected; k++) {
                    final WindowResult direct = direct(config.params(), frames.subList(k * H, k * H + W));
                    final CompressedWindow actual = got.get(k);
                    assertEquals(frames.get(k * H).getSequence(), actual.getFirstSequence(), s.getKey() + " " + k);
                    assertEquals(direct.tokenCount(), actual.getTokenCount(), s.getKey() + " window " + k);
                    assertTrue(
                            Arrays.equals(direct.tokens(), TensorBytes.decode(actual)),
                            s.getKey() + " window " + k + " bit-identical to the library on the same frames");
                }
            }
            System.out.printf(
                    "leader loss (%s): broker %d stopped (partitions led before %s, after %s); %d frames "
                            + "captured, none lost; %d windows, each once and identical; %.1f s%n",
                    returns ? "back after 8 s" : "never back",
                    stoppedBroker,
                    leadersBefore,
                    kafka.leaderCounts(TOPICS),
                    captured,
                    windows.size(),
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            Utils.delete(stateDir.toFile());
        }
    }

    private static int expectedWindowCount(final List<ConsumerRecord<byte[], byte[]>> tokens) {
        final Map<String, Integer> perStream = new TreeMap<>();
        tokens.forEach(
                r -> perStream.merge(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), 1, Integer::sum));
        return perStream.values().stream()
                .mapToInt(n -> n < W ? 0 : (n - W) / H + 1)
                .sum();
    }

    /** The window the compressor library computes from exactly these frames. */
    private static WindowResult direct(final ScissorParams params, final List<FrameTokens> frames) {
        final FrameTokens first = frames.get(0);
        final SlidingWindow window = new SlidingWindow(
                params,
                SampleOrders.seeded(params.seed()),
                first.getGridHeight() * first.getGridWidth(),
                first.getTokenDim(),
                first.getGridWidth(),
                frames.size(),
                frames.size());
        for (final FrameTokens f : frames) {
            window.add(f.getSequence(), TensorBytes.decode(f), 0);
        }
        return window.emit();
    }

    private static <T> Map<String, List<T>> byStream(final List<T> records, final Function<T, String> stream) {
        final Map<String, List<T>> out = new TreeMap<>();
        records.forEach(r ->
                out.computeIfAbsent(stream.apply(r), k -> new ArrayList<>()).add(r));
        return out;
    }

    /** Every record of the topic up to its last stable offset, read_committed, in partition offset order. */
    private static <T> List<T> readCommitted(
            final EmbeddedKafkaCluster kafka,
            final String topic,
            final Function<ConsumerRecord<byte[], byte[]>, T> decode) {
        final List<T> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                        64 << 20),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            final Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(decode.apply(r)));
            }
        }
        return out;
    }

    private static void await(
            final String what, final Duration timeout, final java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
