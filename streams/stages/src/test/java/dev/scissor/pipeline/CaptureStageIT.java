package dev.scissor.pipeline;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.capture.FrameCapture;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capture stage against a real in-process broker: two file sources on their own threads in one
 * process, sampled at 2 fps and written as JPEG VideoFrames keyed by stream id; a second run of the
 * same stream id (a restarted capture) continues above the first run's sequence numbers.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CaptureStageIT {

    /** The capture stage's metric names before Micrometer (a contract: README, dashboards). */
    private static final List<String> SCISSOR_NAMES = List.of(
            "scissor_capture_frames_captured_total",
            "scissor_capture_frames_delivered_total",
            "scissor_capture_frames_failed_total",
            "scissor_capture_bytes_total",
            "scissor_capture_reconnects_total",
            "scissor_capture_stream_state");

    @TempDir
    static Path dir;

    private static EmbeddedKafka kafka;
    private static Path fourSeconds;
    private static Path oneAndAHalfSeconds;

    @BeforeAll
    static void setUp(final EmbeddedKafka broker) throws Exception {
        kafka = broker;
        kafka.createTopics(Map.of("frames", 2));
        fourSeconds = dir.resolve("four.avi");
        oneAndAHalfSeconds = dir.resolve("short.avi");
        writeClip(fourSeconds, 100, 320, 240);
        writeClip(oneAndAHalfSeconds, 38, 256, 144);
    }

    private static void writeClip(final Path file, final int frames, final int w, final int h) throws Exception {
        try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toString(), w, h)) {
            rec.setFormat("avi");
            rec.setVideoCodec(AV_CODEC_ID_MPEG4);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.setFrameRate(25);
            rec.setVideoQuality(4);
            rec.start();
            final Frame f = new Frame(w, h, Frame.DEPTH_UBYTE, 3);
            final ByteBuffer b = (ByteBuffer) f.image[0];
            for (int i = 0; i < frames; i++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        final int o = y * f.imageStride + 3 * x;
                        b.put(o, (byte) (x + 4 * i));
                        b.put(o + 1, (byte) y);
                        b.put(o + 2, (byte) (8 * i));
                    }
                }
                rec.record(f, AV_PIX_FMT_BGR24);
            }
            rec.stop();
        }
    }

    private static CaptureConfig config(final boolean realtime) {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", kafka.bootstrapServers());
        s.put(CaptureConfig.REALTIME, realtime);
        return new CaptureConfig(s);
    }

    private static String scrape(final HttpService http) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static Map<String, List<VideoFrame>> byStream(final List<ConsumerRecord<byte[], byte[]>> records) {
        final Map<String, List<VideoFrame>> out = new HashMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            final VideoFrame f = ScissorSerdes.videoFrame().deserializer().deserialize("frames", r.value());
            assertEquals(f.getStreamId(), new String(r.key(), StandardCharsets.UTF_8), "keyed by stream id");
            out.computeIfAbsent(f.getStreamId(), k -> new ArrayList<>()).add(f);
        }
        return out;
    }

    @Test
    void manySourcesInOneProcessAndARestartContinuesTheSequence() throws Exception {
        try (HttpService http = HttpService.start("capture-it", "127.0.0.1", 0, 2, 1024);
                Metrics metrics = new Metrics().expose(http)) {
            try (CaptureStage stage = new CaptureStage(
                    config(false),
                    List.of(
                            new CaptureStage.Source("cam-a", SourceSpec.parse(fourSeconds.toString())),
                            new CaptureStage.Source("cam-b", SourceSpec.parse("file:" + oneAndAHalfSeconds))))) {
                stage.registerMetrics(metrics);
                stage.start();
                assertTrue(stage.awaitSources(Duration.ofSeconds(30)), "the files ended");
                stage.status().forEach(s -> assertEquals(FrameCapture.State.ENDED, s.state(), s.streamId()));
                // While the stage is open, the producer's own metrics stand beside the capture's.
                final String open = scrape(http);
                for (final String name : SCISSOR_NAMES) {
                    assertTrue(open.contains("\n" + name + "{"), name + " in\n" + open);
                }
                assertTrue(open.contains("\nkafka_producer_record_send_total{client_id=\""), open);
                assertTrue(open.contains("\nkafka_producer_request_latency_avg{client_id=\""), open);
            }
            // After close (the producer flushed): the endpoint counts every frame, per stream; the
            // producer's metrics went with it.
            final String text = scrape(http);
            for (final String line : List.of(
                    "scissor_capture_frames_captured_total{stream=\"cam-a\"} 8.0",
                    "scissor_capture_frames_captured_total{stream=\"cam-b\"} 3.0",
                    "scissor_capture_frames_delivered_total{stream=\"cam-a\"} 8.0",
                    "scissor_capture_frames_delivered_total{stream=\"cam-b\"} 3.0",
                    "scissor_capture_frames_failed_total{stream=\"cam-a\"} 0.0",
                    "scissor_capture_reconnects_total{stream=\"cam-b\"} 0.0",
                    "scissor_capture_stream_state{state=\"ENDED\",stream=\"cam-a\"} 1.0",
                    "scissor_capture_stream_state{state=\"RUNNING\",stream=\"cam-a\"} 0.0")) {
                assertTrue(text.contains(line + "\n"), line + " in\n" + text);
            }
            assertTrue(text.matches("(?s).*scissor_capture_bytes_total\\{stream=\"cam-a\"\\} [1-9][0-9.E]*\n.*"), text);
            assertFalse(text.contains("kafka_producer_"), text);
        }
        Map<String, List<VideoFrame>> streams = byStream(
                PipelineTestSupport.readCommitted(kafka.bootstrapServers(), "frames", 11, Duration.ofSeconds(20)));
        assertEquals(8, streams.get("cam-a").size());
        assertEquals(3, streams.get("cam-b").size()); // 1.48 s of media at 2 fps
        try (FfmpegImageDecoder decoder = new FfmpegImageDecoder(1 << 22, 1 << 22)) {
            for (final List<VideoFrame> frames : streams.values()) {
                for (int i = 0; i < frames.size(); i++) {
                    final VideoFrame f = frames.get(i);
                    assertEquals("jpeg", f.getPixelFormat());
                    if (i > 0) {
                        assertTrue(f.getSequence() > frames.get(i - 1).getSequence(), "increasing sequence");
                    }
                    final DecodedImage img = decoder.decode(ImageFormat.JPEG, f.getImage(), 0, 0);
                    assertEquals(f.getWidth(), img.width());
                    assertEquals(f.getHeight(), img.height());
                }
            }
        }
        assertEquals(320, streams.get("cam-a").get(0).getWidth());
        assertEquals(256, streams.get("cam-b").get(0).getWidth());

        // Restart cam-b twice, paced at real time like a camera: the second run numbers above the first.
        // (The fast run above stamped its frames ahead of the clock; see SequenceNumbers.)
        long last = Long.MIN_VALUE;
        for (int run = 0; run < 2; run++) {
            try (CaptureStage stage = new CaptureStage(
                    config(true),
                    List.of(new CaptureStage.Source("cam-b", SourceSpec.parse(oneAndAHalfSeconds.toString()))))) {
                stage.start();
                assertTrue(stage.awaitSources(Duration.ofSeconds(20)));
            }
            streams = byStream(PipelineTestSupport.readCommitted(
                    kafka.bootstrapServers(), "frames", 11 + 3 * (run + 1), Duration.ofSeconds(20)));
            final List<VideoFrame> b = streams.get("cam-b");
            assertEquals(3 * (run + 2), b.size());
            for (int i = 3 * (run + 1); i < b.size(); i++) {
                assertTrue(
                        b.get(i).getSequence() > last,
                        "run " + run + " frame " + i + ": " + b.get(i).getSequence() + " <= " + last);
                last = b.get(i).getSequence();
            }
        }
    }
}
