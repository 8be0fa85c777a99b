package dev.scissor.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.capture.FrameCapture;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A broker outage longer than {@code max.block.ms} under live capture, on the default code path: the producer keeps
 * its default behaviour, only {@code max.block.ms} (60 s by default) and {@code delivery.timeout.ms} (120 s) are
 * scaled down (to 2 s and 3 s) so that an 8 s outage lasts four times the wait.
 *
 * <p>What it proves: while no broker is reachable each {@code send} waits {@code max.block.ms} for metadata and then
 * fails with a {@link TimeoutException} that is counted, so the capture thread hands over about one frame per wait
 * and does not read its source meanwhile; the stream does not fail, and after the restart delivery resumes. The
 * source here (lavfi, like a file) can be read late, so the capture catches up after the outage and loses exactly
 * the frames whose send timed out: the sequence numbers missing from the frames topic are the failed sends. (A live
 * camera is not read during the waits either; what it sent meanwhile is dropped by its buffers.) Every frame handed
 * over is acknowledged or counted as failed; the frames topic holds no frame twice.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CaptureOutageIT {

    private static final int MAX_BLOCK_MS = 2_000;
    private static final Duration OUTAGE = Duration.ofSeconds(8);
    private static final double FPS = 2.0;

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void broker(final EmbeddedKafka broker) {
        AvroTrust.trustGeneratedClasses();
        kafka = broker;
        kafka.createTopics(Map.of("frames", 1));
    }

    @Test
    void anOutageLongerThanMaxBlockPausesCaptureAndLosesOnlyTheFramesWhoseSendTimedOut() throws Exception {
        final Map<String, Object> cs = new LinkedHashMap<>();
        cs.put("bootstrap.servers", kafka.bootstrapServers());
        cs.put(CaptureConfig.REALTIME, true);
        cs.put(CaptureConfig.FPS, FPS);
        cs.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS);
        cs.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3_000);
        cs.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_500);
        final long handedBefore;
        final long handedDuringOutage;
        final long sentBefore;
        final long sentAfter;
        final CaptureStage capture = new CaptureStage(
                new CaptureConfig(cs),
                List.of(new CaptureStage.Source("cam", SourceSpec.parse("lavfi:testsrc2=size=320x240:rate=25"))));
        try {
            capture.start();
            Thread.sleep(4_000);
            handedBefore = handed(capture);
            sentBefore = capture.framesSent();
            assertTrue(sentBefore > 0, "frames delivered before the outage");
            kafka.stopBroker();
            Thread.sleep(OUTAGE.toMillis());
            handedDuringOutage = handed(capture) - handedBefore;
            kafka.startBroker(Duration.ofSeconds(30));
            Thread.sleep(5_000 + MAX_BLOCK_MS);
            sentAfter = capture.framesSent();
            capture.status().forEach(s -> assertEquals(FrameCapture.State.RUNNING, s.state(), s.streamId()));
            assertEquals(0, capture.failedStreams());
        } finally {
            capture.close();
        }
        final long handed = handed(capture);
        assertTrue(capture.failedSends() > 0, "frames of the outage failed");
        assertInstanceOf(TimeoutException.class, capture.lastSendError(), "the wait for metadata timed out");
        assertTrue(
                handedDuringOutage <= OUTAGE.toMillis() / MAX_BLOCK_MS + 2,
                "the capture thread waited in send: " + handedDuringOutage + " frames handed over in "
                        + OUTAGE.toSeconds() + " s at " + FPS + " fps");
        assertTrue(
                sentAfter - sentBefore >= 4, "delivery resumed after the restart: " + sentBefore + " -> " + sentAfter);
        assertEquals(handed, capture.framesSent() + capture.failedSends(), "every frame handed over is accounted for");

        final List<ConsumerRecord<byte[], byte[]>> records = PipelineTestSupport.readCommitted(
                kafka.bootstrapServers(), "frames", (int) capture.framesSent(), Duration.ofSeconds(20));
        final List<Long> seqs = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            final VideoFrame f = ScissorSerdes.videoFrame().deserializer().deserialize("frames", r.value());
            seqs.add(f.getSequence());
        }
        final Set<Long> distinct = new HashSet<>(seqs);
        assertEquals(seqs.size(), distinct.size(), "no frame twice in frames");
        assertTrue(
                seqs.size() >= capture.framesSent() && seqs.size() <= handed,
                "frames holds every acknowledged frame and nothing that was not handed over: " + seqs.size());
        final long missing = seqs.get(seqs.size() - 1) - seqs.get(0) + 1 - seqs.size();
        assertEquals(capture.failedSends(), missing, "the sequence numbers missing from frames are the failed ones");
        System.out.printf(
                "outage of %d s with max.block.ms=%d: %d frames handed over during it (%.0f at full rate), "
                        + "%d failed, %d delivered, %d sequence numbers missing%n",
                OUTAGE.toSeconds(),
                MAX_BLOCK_MS,
                handedDuringOutage,
                OUTAGE.toSeconds() * FPS,
                capture.failedSends(),
                capture.framesSent(),
                missing);
    }

    private static long handed(final CaptureStage stage) {
        return stage.status().stream()
                .mapToLong(CaptureStage.StreamStatus::frames)
                .sum();
    }
}
