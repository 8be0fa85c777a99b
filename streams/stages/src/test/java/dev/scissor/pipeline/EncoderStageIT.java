package dev.scissor.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.FfmpegJpegEncoder;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The encoder stage against a real in-process broker: JPEG, PNG and raw BGR frames of two streams
 * in, FrameTokens out (14x14 grid, dim 816, the default model's id), batched across streams and
 * equal to the model run directly; corrupt and oversized images and records that are not frames go
 * to the dead-letter topic with their reason, and the stream goes on. Two new workers of the same
 * group then resume after the committed offsets (exactly once: no frame is encoded twice).
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class EncoderStageIT {

    private static final String GROUP = "it-encoder";
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

    /** A 320x240 BGR scene that differs per stream and frame. */
    private static byte[] scene(final int stream, final int index) {
        final int w = 320;
        final int h = 240;
        final byte[] bgr = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                final int o = 3 * (y * w + x);
                final boolean box = Math.abs(x - 40 - 30 * index) < 30 && Math.abs(y - 120) < 50;
                bgr[o] = (byte) (box ? 250 : 60 * stream + x / 4);
                bgr[o + 1] = (byte) (box ? 30 : y);
                bgr[o + 2] = (byte) (box ? 30 : 100 + 50 * stream);
            }
        }
        return bgr;
    }

    private static byte[] png(final byte[] bgr) throws Exception {
        final BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_3BYTE_BGR);
        System.arraycopy(bgr, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, bgr.length);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static byte[] frame(final String stream, final long seq, final String format, final byte[] image) {
        final VideoFrame f = VideoFrame.newBuilder()
                .setStreamId(stream)
                .setSequence(seq)
                .setTimestamp(1_795_000_000_000L + seq * 500)
                .setWidth(320)
                .setHeight(240)
                .setPixelFormat(format)
                .setImage(ByteBuffer.wrap(image))
                .build();
        return ScissorSerdes.videoFrame().serializer().serialize("frames", f);
    }

    private static Map<String, Object> settings() {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", kafka.bootstrapServers());
        s.put("group.id", GROUP);
        s.put(EncoderConfig.BATCH_MAX, 4);
        s.put(EncoderConfig.BATCH_LINGER_MS, 50);
        s.put(EncoderConfig.MAX_IMAGE_PIXELS, 4096L * 4096);
        return s;
    }

    @Test
    void framesInTokensOutBadImagesToTheDeadLetterTopic() throws Exception {
        final Map<String, byte[]> expectedPixels = new HashMap<>();
        final byte[] goodJpeg;
        try (FfmpegJpegEncoder jpeg = new FfmpegJpegEncoder(4);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            goodJpeg = jpeg.encode(scene(0, 0), 320, 240);
            for (int i = 1; i <= 5; i++) {
                for (final int s : new int[] {0, 1}) {
                    final String id = "cam-" + s;
                    final byte[] image = jpeg.encode(scene(s, i), 320, 240);
                    expectedPixels.put(id + "/" + i, image);
                    producer.send(new ProducerRecord<>("frames", bytes(id), frame(id, i, "jpeg", image)));
                }
            }
            producer.send(new ProducerRecord<>("frames", bytes("cam-0"), frame("cam-0", 6, "png", png(scene(0, 6)))));
            producer.send(new ProducerRecord<>("frames", bytes("cam-1"), frame("cam-1", 6, "bgr24", scene(1, 6))));
            // Dead letters: a corrupt JPEG, a JPEG declaring 60000x60000, bytes that are no frame, a wrong key.
            final byte[] truncated = java.util.Arrays.copyOf(goodJpeg, 150);
            producer.send(new ProducerRecord<>("frames", bytes("cam-0"), frame("cam-0", 7, "jpeg", truncated)));
            producer.send(new ProducerRecord<>("frames", bytes("cam-0"), frame("cam-0", 8, "jpeg", huge(goodJpeg))));
            producer.send(
                    new ProducerRecord<>("frames", bytes("cam-1"), "not a frame".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>("frames", bytes("cam-x"), frame("cam-1", 9, "jpeg", goodJpeg)));
            producer.send(new ProducerRecord<>("frames", bytes("cam-1"), frame("cam-1", 10, "webp", goodJpeg)));
            // The stream goes on after them.
            producer.send(new ProducerRecord<>("frames", bytes("cam-0"), frame("cam-0", 11, "jpeg", goodJpeg)));
            producer.flush();
        }

        final EncoderStage stage = new EncoderStage(new EncoderConfig(settings()), model);
        final String metrics;
        final List<ConsumerRecord<byte[], byte[]>> tokens;
        final List<ConsumerRecord<byte[], byte[]>> dead;
        try (HttpService http = HttpService.start("encoder-it", "127.0.0.1", 0, 2, 1024);
                Metrics registry = new Metrics().expose(http)) {
            stage.registerMetrics(registry);
            stage.start();
            try {
                tokens = PipelineTestSupport.readCommitted(
                        kafka.bootstrapServers(), "tokens", 13, Duration.ofSeconds(60));
                dead = PipelineTestSupport.readCommitted(kafka.bootstrapServers(), "dlq", 5, Duration.ofSeconds(20));
                metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
            } finally {
                stage.close();
            }
        }
        for (final String line : List.of(
                "scissor_encoder_frames_in_total 18.0",
                "scissor_encoder_token_frames_out_total 13.0",
                "scissor_encoder_dead_letters_total{reason=\"UNDECODABLE\"} 2.0",
                "scissor_encoder_dead_letters_total{reason=\"CORRUPT_IMAGE\"} 1.0",
                "scissor_encoder_dead_letters_total{reason=\"IMAGE_TOO_LARGE\"} 1.0",
                "scissor_encoder_dead_letters_total{reason=\"KEY_MISMATCH\"} 1.0",
                "scissor_encoder_batches_total " + (double) stage.batches(),
                "scissor_encoder_workers{state=\"RUNNING\"} 1.0")) {
            assertTrue(metrics.contains(line + "\n"), line + " in\n" + metrics);
        }
        // Every name of the encoder's metrics contract, and the clients' own metrics beside them.
        for (final String name : List.of(
                "scissor_encoder_frames_in_total",
                "scissor_encoder_token_frames_out_total",
                "scissor_encoder_dead_letters_total{",
                "scissor_encoder_batches_total",
                "scissor_encoder_encode_seconds_total",
                "scissor_encoder_prepare_seconds_total",
                "scissor_encoder_aborts_total",
                "scissor_encoder_consumer_lag_records{",
                "scissor_encoder_workers{",
                "kafka_consumer_fetch_manager_records_consumed_total{",
                "kafka_consumer_coordinator_commit_latency_avg{",
                "kafka_producer_record_send_total{")) {
            assertTrue(metrics.contains("\n" + name), name + " in\n" + metrics);
        }
        assertTrue(metrics.contains("scissor_encoder_consumer_lag_records{partition=\""), metrics);
        assertTrue(metrics.contains("# TYPE scissor_encoder_encode_seconds_total counter"), metrics);
        assertEquals(EncoderStage.State.STOPPED, stage.state());
        assertNull(stage.failure());
        assertEquals(13, tokens.size(), "token frames");
        assertEquals(5, dead.size(), "dead letters");
        assertTrue(stage.batches() < 13, "frames were batched: " + stage.batches() + " runs");

        // Tokens: shape, model id, order per stream, and equal to the model run on its own.
        final Map<String, List<Long>> seqs = new HashMap<>();
        final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(model.descriptor());
        try (FfmpegImageDecoder decoder = new FfmpegImageDecoder(1 << 24, 1 << 24)) {
            for (final ConsumerRecord<byte[], byte[]> r : tokens) {
                final FrameTokens t = ScissorSerdes.frameTokens().deserializer().deserialize("tokens", r.value());
                assertEquals(t.getStreamId(), new String(r.key(), StandardCharsets.UTF_8));
                assertEquals(14, t.getGridHeight());
                assertEquals(14, t.getGridWidth());
                assertEquals(816, t.getTokenDim());
                assertEquals("mnv2-nsfwjs", t.getModelId());
                assertEquals(196 * 816 * 4, t.getTensor().remaining());
                seqs.computeIfAbsent(t.getStreamId(), k -> new ArrayList<>()).add(t.getSequence());
                final byte[] image = expectedPixels.get(t.getStreamId() + "/" + t.getSequence());
                if (image != null) {
                    final DecodedImage img = decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(image), 0, 0);
                    final FloatBuffer in = pre.allocate(1);
                    pre.preprocess(
                            img.pixels(),
                            img.width(),
                            img.height(),
                            img.stride(),
                            ImagePreprocessor.PixelFormat.BGR24,
                            in,
                            0);
                    final float[] direct = model.encode(in, 1)[0];
                    final float[] viaKafka = TensorBytes.decode(t);
                    for (int k = 0; k < direct.length; k++) {
                        assertEquals(
                                direct[k],
                                viaKafka[k],
                                1e-3f,
                                "token value " + k + " of " + t.getStreamId() + "/" + t.getSequence());
                    }
                }
            }
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 11L), seqs.get("cam-0"));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs.get("cam-1"));

        // Dead letters: the original bytes, the reason, the stage and where they came from.
        final Map<String, String> reasons = new HashMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : dead) {
            assertEquals("encoder", DeadLetters.header(r.headers(), DeadLetters.STAGE));
            assertEquals("frames", DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC));
            assertTrue(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET) != null);
            final String detail = DeadLetters.header(r.headers(), DeadLetters.DETAIL);
            final String problem = DeadLetters.header(r.headers(), EncoderStage.IMAGE_PROBLEM_HEADER);
            final String key = detail.contains("frame 7 ")
                    ? "truncated"
                    : detail.contains("frame 8 ")
                            ? "huge"
                            : detail.contains("webp") ? "webp" : detail.contains("cam-x") ? "key" : "garbage";
            reasons.put(
                    key, DeadLetters.header(r.headers(), DeadLetters.REASON) + (problem == null ? "" : "/" + problem));
        }
        assertEquals("CORRUPT_IMAGE/CORRUPT", reasons.get("truncated"));
        assertEquals("IMAGE_TOO_LARGE/TOO_LARGE", reasons.get("huge"));
        assertEquals("UNDECODABLE/UNSUPPORTED_FORMAT", reasons.get("webp"));
        assertEquals("KEY_MISMATCH", reasons.get("key"));
        assertEquals("UNDECODABLE", reasons.get("garbage"));
        assertArrayEquals(
                "not a frame".getBytes(StandardCharsets.UTF_8),
                dead.stream()
                        .filter(r -> "UNDECODABLE".equals(DeadLetters.header(r.headers(), DeadLetters.REASON))
                                && DeadLetters.header(r.headers(), EncoderStage.IMAGE_PROBLEM_HEADER) == null)
                        .findFirst()
                        .orElseThrow()
                        .value());

        // A new instance of the group resumes after the committed offsets: only new frames are encoded.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("frames", bytes("cam-1"), frame("cam-1", 12, "jpeg", goodJpeg)));
        }
        // Two workers sharing one model this time, as `scissor encoder --workers 2` runs them.
        final EncoderWorkers again = new EncoderWorkers(settings(), 2);
        again.start();
        try {
            final List<ConsumerRecord<byte[], byte[]>> all =
                    PipelineTestSupport.readCommitted(kafka.bootstrapServers(), "tokens", 14, Duration.ofSeconds(60));
            assertEquals(14, all.size());
            Thread.sleep(500);
            assertEquals(1, again.framesIn(), "the restarted instance read only the new frame");
        } finally {
            again.close();
        }
        assertNull(again.failure());
        assertEquals(
                14,
                PipelineTestSupport.readCommitted(kafka.bootstrapServers(), "tokens", 15, Duration.ofSeconds(2))
                        .size(),
                "no frame was encoded twice");
    }

    @Test
    void float16TokensAreTheModelOutputRoundedToNearestEven() throws Exception {
        kafka.createTopics(Map.of("frames-f16", 1, "tokens-f16", 1, "dlq-f16", 1));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 1; i <= 3; i++) {
                producer.send(
                        new ProducerRecord<>("frames-f16", bytes("cam-h"), frame("cam-h", i, "bgr24", scene(2, i))));
            }
        }
        final Map<String, Object> s = settings();
        s.put("group.id", GROUP + "-f16");
        s.put(EncoderConfig.FRAMES_TOPIC, "frames-f16");
        s.put(EncoderConfig.TOKENS_TOPIC, "tokens-f16");
        s.put(EncoderConfig.DLQ_TOPIC, "dlq-f16");
        s.put(EncoderConfig.TOKENS_DTYPE, "float16");
        final List<ConsumerRecord<byte[], byte[]>> tokens;
        final EncoderStage stage = new EncoderStage(new EncoderConfig(s), model);
        assertEquals(TokenDtype.FLOAT16, stage.tokensDtype());
        stage.start();
        try {
            tokens = PipelineTestSupport.readCommitted(
                    kafka.bootstrapServers(), "tokens-f16", 3, Duration.ofSeconds(60));
        } finally {
            stage.close();
        }
        assertNull(stage.failure());
        assertEquals(3, tokens.size());
        final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(model.descriptor());
        for (final ConsumerRecord<byte[], byte[]> r : tokens) {
            final FrameTokens t = ScissorSerdes.frameTokens().deserializer().deserialize("tokens", r.value());
            assertEquals(TokenDtype.FLOAT16, t.getDtype());
            assertEquals(196 * 816 * 2, t.getTensor().remaining(), "half the bytes of float32");
            final FloatBuffer in = pre.allocate(1);
            pre.preprocess(
                    ByteBuffer.wrap(scene(2, (int) t.getSequence())),
                    320,
                    240,
                    320 * 3,
                    ImagePreprocessor.PixelFormat.BGR24,
                    in,
                    0);
            final float[] direct = model.encode(in, 1)[0];
            final float[] viaKafka = TensorBytes.decode(t);
            for (int k = 0; k < direct.length; k++) {
                // The float32 test's tolerance plus float16's rounding: half an ulp, 2^-11 relative.
                assertEquals(
                        direct[k],
                        viaKafka[k],
                        1e-3f + Math.abs(direct[k]) * 0x1p-11f,
                        "token value " + k + " of frame " + t.getSequence());
            }
        }
    }

    /** The JPEG with its frame header patched to declare 60000x60000 pixels. */
    private static byte[] huge(final byte[] jpeg) {
        final byte[] out = jpeg.clone();
        int p = 2;
        while ((out[p + 1] & 0xff) != 0xc0) {
            p += 2 + (((out[p + 2] & 0xff) << 8) | (out[p + 3] & 0xff));
        }
        out[p + 5] = (byte) 0xea;
        out[p + 6] = (byte) 0x60;
        out[p + 7] = (byte) 0xea;
        out[p + 8] = (byte) 0x60;
        return out;
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
