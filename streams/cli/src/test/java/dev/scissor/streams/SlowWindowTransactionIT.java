package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.bench.SyntheticVideo;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refined windows of dimension 3584 (synthetic frames of 14x14 tokens, {@link SyntheticVideo}) take seconds each,
 * and the transaction that holds a window lasts as long. The broker here checks for timed-out transactions every
 * 10 ms (instead of 10 s) so that a timeout is enforced promptly.
 *
 * <p>With the compressor's default for refined mode ({@link CompressorConfig#REFINED_TRANSACTION_TIMEOUT_MS}) every
 * window is committed exactly once and none is computed twice. With a transaction timeout below a window's compute
 * time the broker aborts the window's transaction: the window is not committed (it is computed again after the
 * instance rejoins), and none is ever committed twice. That is the failure the default avoids: at Kafka Streams' 10 s
 * a 16-frame refined window at this dimension would be aborted at every retry.
 */
class SlowWindowTransactionIT {

    private static final int DIM = 3584;
    private static final int GRID = 14;
    private static final int W = 4;
    private static final int H = 2;
    private static final int FRAMES = 10;
    private static final int EXPECTED = (FRAMES - W) / H + 1;

    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker() {
        AvroTrust.trustGeneratedClasses();
        kafka = EmbeddedKafka.start(
                Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "10"),
                EmbeddedKafka.DEFAULT_START_TIMEOUT);
    }

    @AfterAll
    static void close() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private Map<String, Object> settings(final String app) {
        kafka.createTopics(Map.of(app + "-tokens", 1, app + "-windows", 1, app + "-dlq", 1));
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        s.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        s.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(app).toString());
        s.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        s.put(CompressorConfig.TOKENS_TOPIC, app + "-tokens");
        s.put(CompressorConfig.WINDOWS_TOPIC, app + "-windows");
        s.put(CompressorConfig.DLQ_TOPIC, app + "-dlq");
        s.put(CompressorConfig.WINDOW_FRAMES, W);
        s.put(CompressorConfig.HOP_FRAMES, H);
        s.put(CompressorConfig.MODE, "refined");
        s.put(CompressorConfig.RETENTION, 0.1);
        s.put(CompressorConfig.HTTP_PORT, -1);
        return s;
    }

    /** Runs the compressor on the frames for up to {@code runFor}; returns the committed windows and the emits. */
    private static Result run(final Map<String, Object> settings, final Duration runFor) throws Exception {
        final String app = (String) settings.get(StreamsConfig.APPLICATION_ID_CONFIG);
        final float[] video = SyntheticVideo.generate(77, FRAMES, GRID, DIM, 3, 0.3);
        final int n = GRID * GRID;
        final Map<String, Object> p = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                16 << 20);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int t = 0; t < FRAMES; t++) {
                final FrameTokens f = FrameTokens.newBuilder()
                        .setStreamId("cam")
                        .setSequence(t)
                        .setTimestamp(1_000L * t)
                        .setGridHeight(GRID)
                        .setGridWidth(GRID)
                        .setTokenDim(DIM)
                        .setDtype(TokenDtype.FLOAT32)
                        .setTensor(TensorBytes.toLittleEndian(video, t * n * DIM, n * DIM))
                        .setModelId("synthetic")
                        .build();
                producer.send(new ProducerRecord<>(
                        app + "-tokens",
                        "cam".getBytes(StandardCharsets.UTF_8),
                        ScissorSerdes.frameTokens().serializer().serialize("tokens", f)));
            }
        }
        final List<CompressedWindow> windows = new ArrayList<>();
        final long emitted;
        try (CompressorApp app1 = new CompressorApp(new CompressorConfig(settings));
                KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers(),
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                "read_committed",
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest",
                                ConsumerConfig.GROUP_ID_CONFIG,
                                app + "-reader",
                                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                                64 << 20),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            app1.start();
            reader.subscribe(List.of(app + "-windows"));
            final long end = System.nanoTime() + runFor.toNanos();
            while (System.nanoTime() < end && windows.size() < EXPECTED) {
                reader.poll(Duration.ofMillis(200))
                        .forEach(r -> windows.add(
                                ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value())));
            }
            final long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < settle) { // anything more would be a duplicate
                reader.poll(Duration.ofMillis(200))
                        .forEach(r -> windows.add(
                                ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value())));
            }
            emitted = app1.compressorMetrics().windows(EmitReason.HOP);
        }
        return new Result(windows, emitted);
    }

    private record Result(List<CompressedWindow> windows, long emitted) {
        Set<Long> distinct() {
            final Set<Long> firsts = new HashSet<>();
            windows.forEach(w -> firsts.add(w.getFirstSequence()));
            return firsts;
        }

        double slowestSeconds() {
            return windows.stream()
                            .mapToLong(w -> w.getStats().getComputeMicros())
                            .max()
                            .orElse(0)
                    / 1e6;
        }
    }

    @Test
    void slowRefinedWindowsAreCommittedOnceWithTheDefault() throws Exception {
        final Result r = run(settings("slow-default"), Duration.ofSeconds(90));
        assertEquals(EXPECTED, r.windows().size(), "every window committed");
        assertEquals(EXPECTED, r.distinct().size(), "each once");
        assertEquals(EXPECTED, r.emitted(), "no window computed twice: no transaction was aborted");
        System.out.printf(
                "slow windows, transaction.timeout.ms=%d: %d windows committed once, slowest %.1f s%n",
                CompressorConfig.REFINED_TRANSACTION_TIMEOUT_MS, r.windows().size(), r.slowestSeconds());
    }

    @Test
    void aWindowSlowerThanTheTransactionTimeoutIsAbortedNeverDuplicated() throws Exception {
        final Map<String, Object> s = settings("slow-timeout");
        // Far below any window's compute here, whatever the machine's speed: every window's transaction times out.
        s.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 20);
        final Result r = run(s, Duration.ofSeconds(25));
        assertEquals(r.windows().size(), r.distinct().size(), "no window committed twice");
        assertTrue(
                r.windows().size() < EXPECTED,
                "a transaction timeout below the windows' compute time loses commits: " + r.emitted() + " emitted, "
                        + r.windows().size() + " committed of " + EXPECTED);
        System.out.printf(
                "slow windows, transaction.timeout.ms=20: %d emitted, %d committed (each once), "
                        + "slowest committed %.1f s%n",
                r.emitted(), r.windows().size(), r.slowestSeconds());
    }
}
