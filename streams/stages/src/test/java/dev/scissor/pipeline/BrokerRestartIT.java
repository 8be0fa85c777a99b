package dev.scissor.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.capture.FrameCapture;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.Topic;
import dev.scissor.schemas.Topics;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The broker stopped for 8 s and started again (same data directory, same port) while two live
 * (real-time lavfi) sources are captured and the encoder stage encodes their frames.
 *
 * <p>What it proves: capture and encoder ride through the outage without failing, and go on
 * after it; every frame the capture's producer acknowledged is in {@code frames} exactly once
 * (idempotent producer, retries deduplicated by the broker); every frame in {@code frames} is
 * acknowledged or counted as failed, and none is both; the frames the producer could not deliver
 * within {@code delivery.timeout.ms} while the broker was down are counted as failed, and are not
 * retried later (capture is at most once for a frame that was not acknowledged); every frame in
 * {@code frames} has its tokens in {@code tokens} exactly once under {@code read_committed}
 * (transactional encoder).
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class BrokerRestartIT {

    /** Short enough that frames sent early in the outage expire before the broker is back. */
    private static final int DELIVERY_TIMEOUT_MS = 3_000;

    private static final Duration OUTAGE = Duration.ofSeconds(8);

    private static EmbeddedKafka kafka;
    private static OnnxVisionEncoder model;

    @BeforeAll
    static void setUp(final EmbeddedKafka broker) throws Exception {
        PipelineTestSupport.assumeDefaultModel();
        AvroTrust.trustGeneratedClasses();
        model = LargeStack.call(
                "it-model-loader",
                () -> OnnxVisionEncoder.open(
                        EncoderModelDescriptor.defaultDescriptor(),
                        ModelStore.fromEnvironment(),
                        OnnxVisionEncoder.Options.DEFAULT));
        kafka = broker;
        kafka.createTopics(Map.of("frames", 2, "tokens", 2, "dlq", 1));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (model != null) {
            model.close();
        }
    }

    /** The capture's producer, recording which frames were acknowledged and which failed. */
    private static final class RecordingProducer extends KafkaProducer<String, VideoFrame> {
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        final Set<String> failed = ConcurrentHashMap.newKeySet();

        RecordingProducer(final CaptureConfig config, final Topic<String, VideoFrame> topic) {
            super(
                    config.producerProperties(),
                    topic.keySerde().serializer(),
                    topic.valueSerde().serializer());
        }

        @Override
        public Future<RecordMetadata> send(final ProducerRecord<String, VideoFrame> record, final Callback callback) {
            final String id =
                    record.value().getStreamId() + "/" + record.value().getSequence();
            return super.send(record, (md, e) -> {
                (e == null ? delivered : failed).add(id);
                if (callback != null) {
                    callback.onCompletion(md, e);
                }
            });
        }
    }

    @Test
    void captureAndEncoderRideThroughABrokerRestart() throws Exception {
        final Map<String, Object> cs = new LinkedHashMap<>();
        cs.put("bootstrap.servers", kafka.bootstrapServers());
        cs.put(CaptureConfig.REALTIME, true);
        cs.put(CaptureConfig.FPS, 2.0);
        cs.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
        cs.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_500);
        // With no broker reachable the client drops its metadata (Kafka 4 rebootstraps) and send() waits for it,
        // up to max.block.ms (60 s by default): a short wait keeps the capture reading its live source.
        cs.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        final CaptureConfig captureConfig = new CaptureConfig(cs);
        final RecordingProducer producer = new RecordingProducer(captureConfig, Topics.frames("frames"));

        final Map<String, Object> es = new LinkedHashMap<>();
        es.put("bootstrap.servers", kafka.bootstrapServers());
        es.put("group.id", "it-broker-restart");
        es.put(EncoderConfig.BATCH_MAX, 4);
        es.put(EncoderConfig.BATCH_LINGER_MS, 50);
        final EncoderStage encoder = new EncoderStage(new EncoderConfig(es), model);

        final CaptureStage capture = new CaptureStage(
                captureConfig,
                List.of(
                        new CaptureStage.Source("cam-a", SourceSpec.parse("lavfi:testsrc2=size=320x240:rate=25")),
                        new CaptureStage.Source("cam-b", SourceSpec.parse("lavfi:testsrc=size=320x240:rate=25"))),
                producer);
        final long capturedBefore;
        final long deliveredBefore;
        final long capturedDuringOutage;
        final long deliveredAfter;
        final long tokensBeforeRestart;
        try {
            encoder.start();
            capture.start();
            Thread.sleep(5_000);
            capturedBefore = captured(capture);
            deliveredBefore = producer.delivered.size();
            assertTrue(deliveredBefore > 0, "frames delivered before the outage");

            kafka.stopBroker();
            Thread.sleep(OUTAGE.toMillis());
            capturedDuringOutage = captured(capture) - capturedBefore;
            tokensBeforeRestart = encoder.tokensOut();
            kafka.startBroker(Duration.ofSeconds(30));

            Thread.sleep(6_000);
            deliveredAfter = producer.delivered.size();
            capture.status().forEach(s -> assertEquals(FrameCapture.State.RUNNING, s.state(), s.streamId()));
            assertEquals(0, capture.failedStreams());
        } finally {
            capture.close(); // flushes: every frame is acknowledged or failed now
        }
        assertTrue(capturedDuringOutage >= 4, "capture went on while the broker was down: " + capturedDuringOutage);
        assertTrue(
                deliveredAfter > deliveredBefore + capturedDuringOutage / 2,
                "delivery resumed after the restart: " + deliveredBefore + " -> " + deliveredAfter);

        // Capture: acknowledged or failed, never both; the failed ones are counted by the stage too.
        final long captured = captured(capture);
        final Set<String> both = new HashSet<>(producer.delivered);
        both.retainAll(producer.failed);
        assertTrue(both.isEmpty(), "acknowledged and failed: " + both);
        assertEquals(
                captured, producer.delivered.size() + producer.failed.size(), "every captured frame is accounted for");
        assertEquals(producer.delivered.size(), capture.framesSent());
        assertEquals(producer.failed.size(), capture.failedSends());
        assertTrue(
                producer.failed.size() > 0,
                "frames sent early in the outage expired after " + DELIVERY_TIMEOUT_MS
                        + " ms and were counted as failed");

        // frames: every acknowledged frame exactly once; nothing that was neither acknowledged nor failed.
        final List<String> frames = readAll("frames", r -> {
            final VideoFrame f = ScissorSerdes.videoFrame().deserializer().deserialize("frames", r.value());
            return f.getStreamId() + "/" + f.getSequence();
        });
        final Set<String> frameSet = new TreeSet<>(frames);
        assertEquals(frames.size(), frameSet.size(), "no frame twice in frames: " + duplicates(frames));
        final Set<String> missing = new TreeSet<>(producer.delivered);
        missing.removeAll(frameSet);
        assertTrue(missing.isEmpty(), "acknowledged but not in frames: " + missing);
        final Set<String> unaccounted = new TreeSet<>(frameSet);
        unaccounted.removeAll(producer.delivered);
        unaccounted.removeAll(producer.failed);
        assertTrue(unaccounted.isEmpty(), "in frames but never sent: " + unaccounted);

        // tokens: every frame in frames exactly once, read_committed, once the encoder has caught up.
        List<String> tokens = List.of();
        final long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        try {
            while (System.nanoTime() < deadline) {
                tokens = readAll("tokens", r -> {
                    final FrameTokens t =
                            ScissorSerdes.frameTokens().deserializer().deserialize("tokens", r.value());
                    return t.getStreamId() + "/" + t.getSequence();
                });
                if (new HashSet<>(tokens).containsAll(frameSet)) {
                    break;
                }
                Thread.sleep(500);
            }
            assertEquals(EncoderStage.State.RUNNING, encoder.state(), "the encoder did not fail");
            assertNull(encoder.failure());
        } finally {
            encoder.close();
        }
        assertEquals(new TreeSet<>(frameSet), new TreeSet<>(tokens), "tokens for exactly the frames in frames");
        assertEquals(tokens.size(), new HashSet<>(tokens).size(), "no tokens twice: " + duplicates(tokens));
        System.out.printf(
                "broker restart: %d frames captured (%d during the %d s outage), %d acknowledged, %d failed, "
                        + "%d in frames, %d token frames (%d before the restart), %d encoder aborts%n",
                captured,
                capturedDuringOutage,
                OUTAGE.toSeconds(),
                producer.delivered.size(),
                producer.failed.size(),
                frameSet.size(),
                tokens.size(),
                tokensBeforeRestart,
                encoder.aborts());
    }

    private static long captured(final CaptureStage stage) {
        return stage.status().stream()
                .mapToLong(CaptureStage.StreamStatus::frames)
                .sum();
    }

    private static List<String> duplicates(final List<String> ids) {
        final Map<String, Integer> n = new HashMap<>();
        ids.forEach(id -> n.merge(id, 1, Integer::sum));
        return n.entrySet().stream()
                .filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    /** Every record of the topic, read_committed, up to its last stable offset now. */
    private static List<String> readAll(final String topic, final Function<ConsumerRecord<byte[], byte[]>, String> id) {
        final List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            final Map<TopicPartition, Long> end = c.endOffsets(parts);
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> out.add(id.apply(r)));
            }
        }
        return out;
    }
}
