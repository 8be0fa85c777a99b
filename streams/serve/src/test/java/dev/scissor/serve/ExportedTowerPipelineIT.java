package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scissor.compressor.io.Npy;
import dev.scissor.consumer.Window;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.testing.ExporterPython;
import dev.scissor.encoder.testing.TestAssets;
import dev.scissor.http.HttpService;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.CaptureStage;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.pipeline.EncoderStage;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on the VLM's own vision tower: a tiny architecture-true LLaVA-OneVision
 * checkpoint (random weights) is exported by {@code scissor_export}; the real clip goes through
 * capture -> the encoder stage running that exported model directory -> the Kafka Streams
 * compressor -> the QA service; the {@code /v1/ask} request it builds is decoded as vLLM decodes
 * it and its windows go into the same checkpoint's transformers model, which generates
 * ({@code src/test/python/vllm_consume.py}).
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class ExportedTowerPipelineIT {

    private static final String STREAM = "peds";
    private static final int FRAMES = 40;

    @Test
    @Timeout(420)
    void anExportedTowerDrivesThePipelineAndTheModelConsumesItsWindows(
            final EmbeddedKafka kafka, @TempDir final Path dir) throws Exception {
        final String clip = System.getenv("SCISSOR_TEST_CLIP");
        TestAssets.assumeAsset(clip != null && Files.isRegularFile(Path.of(clip)), "the test clip (SCISSOR_TEST_CLIP)");
        final ExporterPython python = ExporterPython.require();
        final Path ckpt = dir.resolve("ckpt");
        python.runOk(300, "scissor_export.make_tiny_checkpoint", "--out", ckpt.toString(), "--variant", "tiny-384");
        final Path tower = dir.resolve("tower");
        python.runOk(300, "scissor_export", "--from", ckpt.resolve("tiny-384").toString(), "--out", tower.toString());
        AvroTrust.trustGeneratedClasses();
        kafka.createTopics(Map.of("frames", 1, "tokens", 1, "windows", 1, "dlq", 1));
        final String bootstrap = kafka.bootstrapServers();

        final Map<String, Object> cap = new LinkedHashMap<>();
        cap.put("bootstrap.servers", bootstrap);
        cap.put(CaptureConfig.REALTIME, false);
        try (CaptureStage capture = new CaptureStage(
                new CaptureConfig(cap), List.of(new CaptureStage.Source(STREAM, SourceSpec.parse("file:" + clip))))) {
            capture.start();
            final long deadline = System.nanoTime() + 60_000_000_000L;
            while (capture.framesSent() < FRAMES && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }

        final Map<String, Object> enc = new LinkedHashMap<>();
        enc.put("bootstrap.servers", bootstrap);
        enc.put("group.id", "it-tower-encoder");
        enc.put(EncoderConfig.MODEL, tower.toString());
        enc.put(EncoderConfig.BATCH_MAX, 8);
        final Map<String, Object> cmp = new LinkedHashMap<>();
        cmp.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cmp.put(StreamsConfig.APPLICATION_ID_CONFIG, "it-tower-compressor");
        cmp.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        cmp.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        final Map<String, Object> srv = new LinkedHashMap<>();
        srv.put("bootstrap.servers", bootstrap);
        srv.put(ServeConfig.PORT, 0);
        srv.put(ServeConfig.COMPRESSOR_URLS, "http://127.0.0.1:9");
        srv.put(ServeConfig.ENCODER_MODEL, tower.toString());
        final JsonNode ask;
        final List<Window> windows;
        try (EncoderStage encoder = new EncoderStage(new EncoderConfig(enc));
                CompressorApp compressor = new CompressorApp(new CompressorConfig(cmp));
                QaService service = new QaService(new ServeConfig(srv), null)) {
            encoder.start();
            compressor.start();
            service.start();
            // Wait until every captured frame is compressed: at least 3 windows, and no new one for 5 s.
            final long deadline = System.nanoTime() + 240_000_000_000L;
            int seen = -1;
            long stableSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                final int n = service.index().windows(STREAM).size();
                if (n != seen) {
                    seen = n;
                    stableSince = System.nanoTime();
                } else if (n >= 3 && System.nanoTime() - stableSince > 5_000_000_000L) {
                    break;
                }
                Thread.sleep(100);
            }
            windows = service.index().windows(STREAM);
            assertTrue(windows.size() >= 3, "windows indexed: " + windows.size());
            final HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/v1/ask"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":\"" + STREAM
                                            + "\",\"question\":\"Who crosses?\",\"seconds\":100000,\"max_windows\":"
                                            + windows.size()
                                            + "}"))
                                    .timeout(Duration.ofSeconds(60))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            ask = HttpService.JSON.readTree(r.body());
            assertEquals(windows.size(), service.index().windows(STREAM).size(), "no window came after the ask");
        }
        assertFalse(ask.path("sent").asBoolean(true), "no LLM configured: the request comes back");
        final Window first = windows.get(0);
        assertEquals(64, first.tokenDim(), "tokens in the tiny model's LLM hidden size");

        final Path req = dir.resolve("ask.json");
        Files.write(req, HttpService.JSON.writeValueAsBytes(ask));
        final Path expect = Files.createDirectories(dir.resolve("expect"));
        for (int i = 0; i < windows.size(); i++) {
            final FloatBuffer t = windows.get(i).tokens();
            final float[] v = new float[t.remaining()];
            t.get(v);
            Npy.writeFloats(
                    expect.resolve("w" + i + ".npy"),
                    v,
                    windows.get(i).tokenCount(),
                    windows.get(i).tokenDim());
        }
        final ExporterPython.Run run = python.runScriptOk(
                300,
                VllmConsumesAskIT.scriptPath(),
                "--checkpoint",
                ckpt.resolve("tiny-384").toString(),
                "--case",
                req.toString(),
                "--expect",
                expect.toString(),
                "--newline",
                tower.resolve("image_newline.npy").toString());
        final JsonNode report = HttpService.JSON.readTree(run.stdout().strip());
        System.out.println("ExportedTowerPipelineIT: " + report);
        assertEquals(windows.size(), report.path("windows").asInt(), run.stdout());
        assertEquals(
                windows.stream().map(Window::tokenCount).toList().toString().replace(" ", ""),
                report.path("tokens").toString(),
                run.stdout());
        assertTrue(report.path("equal_to_window_tokens").asBoolean(), run.stdout());
        assertEquals(4, report.path("generated").size(), run.stdout());
    }
}
