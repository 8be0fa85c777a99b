package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.consumer.Window;
import dev.scissor.consumer.WindowConsumer;
import dev.scissor.kafka.KafkaTopics;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames of a VLM vision tower (196 tokens of the LLM hidden size, 3584 for a 7B model) and of
 * today's 816-dim encoder, in float32 and float16, through a real broker with the settings the
 * apps use: the encoder's transactional producer, topics created as {@code --create-topics} does,
 * the compressor app (its changelogs) and the {@link WindowConsumer}. Every frame and window
 * passes, and the bytes each frame costs on the broker (its tokens record plus its frame-store
 * changelog record) are measured and logged.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class LargeTokensIT {

    private static final Logger LOG = LoggerFactory.getLogger(LargeTokensIT.class);
    private static final String APP = "scissor-large-it";
    private static final int GRID = 14;
    private static final int N = GRID * GRID;
    private static final int FRAMES = 2;

    /** One stream per case: its dim and dtype. */
    private record Case(String stream, int dim, TokenDtype dtype) {}

    private static final List<Case> CASES = List.of(
            new Case("d816-f32", 816, TokenDtype.FLOAT32),
            new Case("d816-f16", 816, TokenDtype.FLOAT16),
            new Case("d3584-f32", 3584, TokenDtype.FLOAT32),
            new Case("d3584-f16", 3584, TokenDtype.FLOAT16));

    @TempDir
    Path dir;

    @Test
    void visionTowerFramesAndWindowsPassInBothDtypes(final EmbeddedKafka kafka) throws Exception {
        KafkaTopics.ensure(
                kafka.admin(),
                Map.of("tokens", 1, "windows", 1, "dlq", 1),
                (short) 1,
                Map.of("max.message.bytes", Integer.toString(CompressorTopology.MAX_MESSAGE_BYTES)),
                Duration.ofSeconds(30));
        final Map<String, Object> encoder = new HashMap<>();
        encoder.put("bootstrap.servers", kafka.bootstrapServers());
        encoder.put(EncoderConfig.INSTANCE_ID, "large-it");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                new EncoderConfig(encoder).producerProperties(),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (final Case c : CASES) {
                final float[] video = TestFrames.noise(c.dim(), FRAMES * N * c.dim()); // no token merges
                for (int t = 0; t < FRAMES; t++) {
                    final FrameTokens f = FrameTokens.newBuilder()
                            .setStreamId(c.stream())
                            .setSequence(t)
                            .setTimestamp(1_795_000_000_000L + t)
                            .setGridHeight(GRID)
                            .setGridWidth(GRID)
                            .setTokenDim(c.dim())
                            .setDtype(c.dtype())
                            .setTensor(TensorBytes.encode(video, t * N * c.dim(), N * c.dim(), c.dtype()))
                            .setModelId("tower")
                            .build();
                    producer.send(new ProducerRecord<>(
                            "tokens",
                            c.stream().getBytes(StandardCharsets.UTF_8),
                            ScissorSerdes.frameTokens().serializer().serialize("tokens", f)));
                }
            }
            producer.commitTransaction();
        }

        final Map<String, Object> settings = TestFrames.appSettings(kafka.bootstrapServers(), APP, dir, FRAMES, FRAMES);
        settings.put(CompressorConfig.RETENTION, 0.5); // 196 tokens a window: 2.8 MB at 3584 float32
        final List<Window> windows = new ArrayList<>();
        try (CompressorApp app = new CompressorApp(new CompressorConfig(settings))) {
            app.start();
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "compressor running");
            try (WindowConsumer consumer = WindowConsumer.assignAll(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    "windows",
                    null,
                    m -> LOG.error("malformed window {}", m))) {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (windows.size() < CASES.size() && System.nanoTime() < deadline) {
                    windows.addAll(consumer.poll(Duration.ofMillis(200)));
                }
            }
            assertNull(app.failure());
        }
        assertEquals(CASES.size(), windows.size(), "one window per stream: " + windows);
        for (final Window w : windows) {
            final Case c = CASES.stream()
                    .filter(k -> k.stream().equals(w.streamId()))
                    .findFirst()
                    .orElseThrow();
            assertEquals(c.dtype(), w.dtype(), w.toString());
            assertEquals(c.dim(), w.tokenDim());
            assertEquals(N, w.tokenCount(), "round(0.5 * 2 frames * 196)");
            assertEquals(
                    N * c.dim() * TensorBytes.elementSize(c.dtype()),
                    w.tokenBytes().remaining());
            final float[] values = new float[N * c.dim()];
            w.tokens().get(values);
        }
        assertTrue(read(kafka, "dlq", 1, Duration.ofSeconds(1)).isEmpty(), "no dead letters");

        final String changelog = APP + "-" + CompressorTopology.FRAME_STORE + "-changelog";
        final Map<String, Config> configs = kafka
                .admin()
                .describeConfigs(List.of(
                        new ConfigResource(ConfigResource.Type.TOPIC, "tokens"),
                        new ConfigResource(ConfigResource.Type.TOPIC, "windows"),
                        new ConfigResource(ConfigResource.Type.TOPIC, changelog),
                        new ConfigResource(
                                ConfigResource.Type.TOPIC, APP + "-" + CompressorTopology.LATEST_STORE + "-changelog")))
                .all()
                .get(30, TimeUnit.SECONDS)
                .entrySet()
                .stream()
                .collect(java.util.stream.Collectors.toMap(e -> e.getKey().name(), Map.Entry::getValue));
        for (final Map.Entry<String, Config> e : configs.entrySet()) {
            assertEquals(
                    Integer.toString(CompressorTopology.MAX_MESSAGE_BYTES),
                    e.getValue().get("max.message.bytes").value(),
                    e.getKey() + " max.message.bytes");
        }

        // Bytes per frame on the broker: its tokens record and its frame-store changelog record.
        final Map<String, Integer> tokenBytes =
                recordBytes(read(kafka, "tokens", CASES.size() * FRAMES, Duration.ofSeconds(30)));
        final Map<String, Integer> changelogBytes =
                recordBytes(read(kafka, changelog, CASES.size() * FRAMES, Duration.ofSeconds(30)));
        final Map<Case, Integer> perFrame = new LinkedHashMap<>();
        for (final Case c : CASES) {
            final int tokens = tokenBytes.get(c.stream());
            final int stored = changelogBytes.get(c.stream());
            final int tensor = N * c.dim() * TensorBytes.elementSize(c.dtype());
            assertTrue(tokens > tensor && tokens < tensor + 100, c + ": tokens record " + tokens);
            assertEquals(
                    Long.BYTES + tensor,
                    stored - c.stream().length() - Long.BYTES,
                    c + ": the changelog keeps the frame in its dtype (key: stream id + sequence)");
            perFrame.put(c, tokens + stored);
            LOG.info(
                    "bytes per frame through the broker, D={} {}: tokens record {} + frame-store changelog record {}"
                            + " = {}",
                    c.dim(),
                    c.dtype(),
                    tokens,
                    stored,
                    tokens + stored);
        }
        assertTrue(perFrame.get(CASES.get(1)) < 0.51 * perFrame.get(CASES.get(0)), "float16 halves D=816");
        assertTrue(perFrame.get(CASES.get(3)) < 0.51 * perFrame.get(CASES.get(2)), "float16 halves D=3584");
    }

    /** The serialized key plus value size of each stream's record (the last one read of each stream). */
    private static Map<String, Integer> recordBytes(final List<ConsumerRecord<byte[], byte[]>> records) {
        final Map<String, Integer> out = new HashMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            final String key = new String(r.key(), StandardCharsets.UTF_8);
            final String stream = CASES.stream()
                    .map(Case::stream)
                    .filter(key::startsWith)
                    .findFirst()
                    .orElseThrow();
            out.put(stream, r.serializedKeySize() + r.serializedValueSize());
        }
        return out;
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(
            final EmbeddedKafka kafka, final String topic, final int count, final Duration timeout) {
        final List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "large-it-" + topic),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(Set.of(topic));
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value() != null) {
                        out.add(r);
                    }
                });
            }
        }
        return out;
    }
}
