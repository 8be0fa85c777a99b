package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.scissor.consumer.MockWindowsConsumer;
import dev.scissor.consumer.WindowTestAccess;
import dev.scissor.http.HttpService;
import dev.scissor.schemas.ScissorSerdes;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The QA service's HTTP API without a broker: windows reach it through a {@link
 * MockWindowsConsumer}, and {@code scissor.serve.llm.url} points at a recording {@link HttpServer}
 * that answers like an OpenAI-compatible server (or fails, when told to).
 */
class QaServiceTest {

    private static final String STREAM = "cam";
    private static final String ANSWER =
            "{\"choices\":[{\"message\":{\"role\":\"assistant\"," + "\"content\":\"Two people cross.\"}}]}";

    private static final AtomicInteger LLM_STATUS = new AtomicInteger(200);
    private static final AtomicReference<String> LLM_BODY = new AtomicReference<>(ANSWER);
    private static final List<Recorded> RECORDED = new CopyOnWriteArrayList<>();
    private static HttpServer llm;
    private static MockWindowsConsumer windows;
    private static QaService service;
    private static String base;

    private final HttpClient http = HttpClient.newHttpClient();

    private record Recorded(String path, String auth, JsonNode body) {}

    @BeforeAll
    static void start() throws Exception {
        llm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        llm.createContext("/", ex -> {
            final byte[] in = ex.getRequestBody().readAllBytes();
            RECORDED.add(new Recorded(
                    ex.getRequestURI().getPath(),
                    ex.getRequestHeaders().getFirst("Authorization"),
                    HttpService.JSON.readTree(in)));
            final byte[] out = LLM_BODY.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(LLM_STATUS.get(), out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        });
        llm.start();

        windows = new MockWindowsConsumer("windows", 2);
        final long now = System.currentTimeMillis();
        for (int i = 0; i < 5; i++) {
            windows.append(
                    0,
                    STREAM,
                    ScissorSerdes.compressedWindow()
                            .serializer()
                            .serialize(
                                    "windows",
                                    WindowTestAccess.record(STREAM, i * 4L, 3, 8)
                                            .build()),
                    now);
        }
        windows.append(
                1,
                "other",
                ScissorSerdes.compressedWindow()
                        .serializer()
                        .serialize(
                                "windows",
                                WindowTestAccess.halfRecord("other", 0, 2, 8).build()),
                now); // float16, as exported towers write
        windows.append(1, "broken", "not a window at all".getBytes(StandardCharsets.US_ASCII), now);

        final Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put(ServeConfig.PORT, 0);
        cfg.put(ServeConfig.BIND, "127.0.0.1");
        cfg.put(ServeConfig.LLM_URL, "http://127.0.0.1:" + llm.getAddress().getPort() + "/");
        cfg.put(ServeConfig.LLM_MODEL, "llava-hf/llava-1.5-7b-hf");
        cfg.put(ServeConfig.LLM_TIMEOUT_MS, 10_000);
        cfg.put(ServeConfig.COMPRESSOR_URLS, "http://127.0.0.1:9");
        service = new QaService(new ServeConfig(cfg), "sk-test");
        service.start(onMalformed ->
                WindowTestAccess.assignAll(WindowTestAccess.consumer(windows, "windows", onMalformed), null));
        assertTrue(service.awaitWindows(STREAM, 5, Duration.ofSeconds(10)), "windows indexed");
        assertTrue(service.awaitWindows("other", 1, Duration.ofSeconds(10)), "windows indexed");
        base = "http://127.0.0.1:" + service.port();
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (llm != null) {
            llm.stop(0);
        }
    }

    @BeforeEach
    void resetLlm() {
        LLM_STATUS.set(200);
        LLM_BODY.set(ANSWER);
        RECORDED.clear();
    }

    private JsonNode post(final String path, final String body, final int status) throws Exception {
        final HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .header("Content-Type", "application/json")
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(status, r.statusCode(), path + " " + body + ": " + new String(r.body(), StandardCharsets.UTF_8));
        return HttpService.JSON.readTree(r.body());
    }

    private JsonNode post(final String path, final ObjectNode body, final int status) throws Exception {
        return post(path, HttpService.JSON.writeValueAsString(body), status);
    }

    private static ObjectNode json() {
        return HttpService.JSON.createObjectNode();
    }

    private String get(final String path, final int status) throws Exception {
        final HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    @Test
    void askSendsTheWindowsToTheLlmAndReturnsItsAnswer() throws Exception {
        final JsonNode out = post(
                "/v1/ask",
                json().put("stream", STREAM)
                        .put("question", "How many people cross?")
                        .put("max_windows", 3),
                200);
        assertTrue(out.path("sent").asBoolean(false), out.toString());
        assertEquals("Two people cross.", out.path("answer").asText());
        assertEquals(
                "assistant",
                out.path("response")
                        .path("choices")
                        .path(0)
                        .path("message")
                        .path("role")
                        .asText());
        assertEquals(3, out.path("windows").size(), "the newest max_windows");
        assertEquals(8, out.path("windows").path(0).path("firstSequence").asLong());
        assertEquals(16, out.path("windows").path(2).path("firstSequence").asLong());

        assertEquals(1, RECORDED.size());
        final Recorded sent = RECORDED.get(0);
        assertEquals(LlmRequests.CHAT_PATH, sent.path());
        assertEquals("Bearer sk-test", sent.auth());
        assertEquals("llava-hf/llava-1.5-7b-hf", sent.body().path("model").asText());
        final JsonNode content = sent.body().path("messages").path(1).path("content");
        assertEquals(1 + 2 * 3 + 1, content.size(), content.toString().substring(0, 200));
        for (int w = 0; w < 3; w++) {
            assertEquals("image_embeds", content.path(2 + 2 * w).path("type").asText());
        }
        assertEquals(
                "Question: How many people cross?",
                content.path(content.size() - 1).path("text").asText());
    }

    @Test
    void askReadsFloat16Windows() throws Exception {
        final JsonNode out = post("/v1/ask", json().put("stream", "other").put("question", "Anyone?"), 200);
        assertTrue(out.path("sent").asBoolean(false), out.toString());
        assertEquals(1, out.path("windows").size());
        final JsonNode content = RECORDED.get(RECORDED.size() - 1)
                .body()
                .path("messages")
                .path(1)
                .path("content");
        assertEquals("image_embeds", content.path(2).path("type").asText());
        assertFalse(content.path(2).path("image_embeds").asText().isEmpty());
    }

    @Test
    void anLlmErrorIsA502ThatSaysWhatTheServerAnswered() throws Exception {
        LLM_STATUS.set(500);
        LLM_BODY.set("{\"error\":{\"message\":\"CUDA out of memory\"}}");
        final JsonNode out = post("/v1/ask", json().put("stream", STREAM).put("question", "Anyone there?"), 502);
        final String error = out.path("error").asText();
        assertTrue(
                error.startsWith("the LLM server http://127.0.0.1:"
                        + llm.getAddress().getPort() + "/v1/chat/completions answered 500: "),
                error);
        assertTrue(error.contains("CUDA out of memory"), error);
        assertEquals(1, RECORDED.size(), "sent once, not retried");
    }

    @Test
    void anUnknownStreamIs404() throws Exception {
        final JsonNode ask = post("/v1/ask", json().put("stream", "nope").put("question", "?"), 404);
        assertEquals(
                "no windows of stream 'nope' are indexed (GET /v1/streams lists them)",
                ask.path("error").asText());
        final JsonNode find = post("/v1/find", json().put("stream", "nope").put("image", "aGVsbG8="), 404);
        assertEquals(
                "no windows of stream 'nope' are indexed (GET /v1/streams lists them)",
                find.path("error").asText());
        get("/v1/streams/nope/windows", 404);
        assertTrue(RECORDED.isEmpty(), "nothing sent to the LLM");
    }

    @Test
    void findRejectsBadBase64AndNonImagesWith400() throws Exception {
        final JsonNode b64 = post("/v1/find", json().put("stream", STREAM).put("image", "QQ=QQ"), 400);
        assertEquals(
                "image is not base64: Input byte array has wrong 4-byte ending unit",
                b64.path("error").asText());
        final JsonNode data =
                post("/v1/find", json().put("stream", STREAM).put("image", "data:image/png;base64,abcde"), 400);
        assertEquals(
                "image is not base64: Last unit does not have enough valid bits",
                data.path("error").asText());
        final JsonNode garbage = post("/v1/find", json().put("stream", STREAM).put("image", "not base64 at all!"), 400);
        assertTrue(
                garbage.path("error").asText().startsWith("image is not base64: Illegal base64 character"),
                garbage.toString());

        final String notAnImage =
                Base64.getEncoder().encodeToString("hello, not an image".getBytes(StandardCharsets.US_ASCII));
        final HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/find"))
                        .POST(HttpRequest.BodyPublishers.ofString(json().put("stream", STREAM)
                                .put("image", notAnImage)
                                .toString()))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        final JsonNode body = HttpService.JSON.readTree(r.body());
        assumeTrue(r.statusCode() != 503, "the query encoder is not available here: " + body);
        assertEquals(400, r.statusCode(), body.toString());
        assertEquals("the image is neither a JPEG nor a PNG", body.path("error").asText());
    }

    @Test
    void missingOrInvalidFieldsAre400WithMessagesNamingTheField() throws Exception {
        assertEquals(
                "\"stream\" is required (a non-empty string)",
                post("/v1/ask", json().put("question", "?"), 400).path("error").asText());
        assertEquals(
                "\"question\" is required (a non-empty string)",
                post("/v1/ask", json().put("stream", STREAM), 400).path("error").asText());
        assertEquals(
                "\"question\" is required (a non-empty string)",
                post("/v1/ask", json().put("stream", STREAM).put("question", "  "), 400)
                        .path("error")
                        .asText());
        assertEquals(
                "\"stream\" is required (a non-empty string)",
                post("/v1/ask", json().put("stream", 7).put("question", "?"), 400)
                        .path("error")
                        .asText());
        assertEquals(
                "seconds must be a positive number",
                post(
                                "/v1/ask",
                                json().put("stream", STREAM)
                                        .put("question", "?")
                                        .put("seconds", -1),
                                400)
                        .path("error")
                        .asText());
        assertEquals(
                "max_windows must be a positive integer",
                post(
                                "/v1/ask",
                                json().put("stream", STREAM)
                                        .put("question", "?")
                                        .put("max_windows", 0),
                                400)
                        .path("error")
                        .asText());
        assertEquals(
                "\"image\" is required (a non-empty string)",
                post("/v1/find", json().put("stream", STREAM), 400)
                        .path("error")
                        .asText());
        assertEquals(
                "\"stream\" is required (a non-empty string)",
                post("/v1/find", json().put("image", "aGVsbG8="), 400)
                        .path("error")
                        .asText());
        assertEquals(
                "top must be an integer from 1 to 1000",
                post(
                                "/v1/find",
                                json().put("stream", STREAM)
                                        .put("image", "aGVsbG8=")
                                        .put("top", 0),
                                400)
                        .path("error")
                        .asText());
        assertEquals(
                "frame_width and frame_height must be 1 to 16384",
                post(
                                "/v1/find",
                                json().put("stream", STREAM)
                                        .put("image", "aGVsbG8=")
                                        .put("frame_width", -5),
                                400)
                        .path("error")
                        .asText());
        assertTrue(post("/v1/ask", "{not json", 400).path("error").asText().startsWith("the body is not valid JSON"));
        assertEquals(
                "the body must be a JSON object",
                post("/v1/ask", "[1, 2]", 400).path("error").asText());
        assertTrue(RECORDED.isEmpty(), "nothing sent to the LLM");
    }

    @Test
    void listsStreamsAndCountsMalformedWindows() throws Exception {
        final JsonNode streams =
                HttpService.JSON.readTree(get("/v1/streams", 200)).path("streams");
        assertEquals(2, streams.size(), streams.toString());
        assertEquals(STREAM, streams.path(0).path("stream").asText());
        assertEquals(5, streams.path(0).path("windows").asInt());
        assertEquals("other", streams.path(1).path("stream").asText());
        final JsonNode recent = HttpService.JSON.readTree(get("/v1/streams/cam/windows?limit=2", 200));
        assertEquals(5, recent.path("held").asInt());
        assertEquals(
                List.of(12L, 16L),
                List.of(
                        recent.path("windows").path(0).path("firstSequence").asLong(),
                        recent.path("windows").path(1).path("firstSequence").asLong()));
        assertEquals(1, service.malformedWindows());
        assertEquals(6, service.windowsConsumed());
        final String metrics = get("/metrics", 200);
        assertTrue(metrics.contains("\nscissor_serve_malformed_windows_total 1.0\n"), metrics);
        assertTrue(metrics.contains("\nscissor_serve_windows_consumed_total 6.0\n"), metrics);
        assertTrue(metrics.contains("\nscissor_serve_windows_held{stream=\"cam\"} 5.0\n"), metrics);
        assertFalse(metrics.contains("stream=\"broken\""), metrics);
    }

    @Test
    void withATokenTheServiceRequiresItAndSendsItToTheCompressors() throws Exception {
        final List<String> seen = new CopyOnWriteArrayList<>();
        try (HttpService compressor = HttpService.start("fake-compressor", "127.0.0.1", 0, 2, 1 << 10)
                .requireBearer("t0ken")
                .route("GET", "/v1/streams/{id}/windows/latest", r -> {
                    seen.add(r.headers().get("authorization").get(0));
                    return HttpService.Response.json(200, Map.of("streamId", r.param("id")));
                })) {
            final Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put(ServeConfig.PORT, 0);
            cfg.put(ServeConfig.COMPRESSOR_URLS, "http://127.0.0.1:" + compressor.port());
            final QaService guarded = new QaService(new ServeConfig(cfg), null, "t0ken");
            try {
                guarded.start(onMalformed -> WindowTestAccess.assignAll(
                        WindowTestAccess.consumer(new MockWindowsConsumer("windows", 1), "windows", onMalformed),
                        null));
                final URI latest = URI.create("http://127.0.0.1:" + guarded.port() + "/v1/streams/cam/windows/latest");
                final HttpResponse<String> denied =
                        http.send(HttpRequest.newBuilder(latest).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, denied.statusCode(), denied.body());
                assertTrue(seen.isEmpty(), "nothing reached the compressor");
                final HttpResponse<String> ok = http.send(
                        HttpRequest.newBuilder(latest)
                                .header("Authorization", "Bearer t0ken")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ok.statusCode(), ok.body());
                assertEquals(
                        "cam",
                        HttpService.JSON.readTree(ok.body()).get("streamId").asText());
                assertEquals(List.of("Bearer t0ken"), seen, "the proxy sent the token");
                assertEquals(
                        200,
                        http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create("http://127.0.0.1:" + guarded.port() + "/metrics"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode(),
                        "metrics open");
            } finally {
                guarded.close();
            }
        }
    }

    /** Bytes allocated on the JVM heap so far by every live thread (the service's included). */
    private static long allocatedBytes() {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (final long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    @Test
    void hugeDeclaredImagesAre413BeforeAnythingIsDecodedOrAllocated() throws Exception {
        // The reviewer's 191 KB PNG of 65535x1024 with 16384x16384 frames was a 500 (NegativeArraySizeException).
        final JsonNode wide = post(
                "/v1/find",
                json().put("stream", STREAM)
                        .put("image", Base64.getEncoder().encodeToString(HostilePngs.black(65535, 1024)))
                        .put("frame_width", 16384)
                        .put("frame_height", 16384),
                413);
        assertTrue(wide.path("error").asText().contains(ServeConfig.FIND_MAX_PIXELS), wide.toString());
        // 40000x1024 drove the service to 5 GB; now it is refused from the header.
        final String body = json().put("stream", STREAM)
                .put("image", Base64.getEncoder().encodeToString(HostilePngs.black(40000, 1024)))
                .toString();
        final long before = allocatedBytes();
        final JsonNode tall = post("/v1/find", body, 413);
        final long allocated = allocatedBytes() - before;
        assertEquals(
                "the image is 40000x1024 = 40960000 pixels; at most 16777216 are decoded ("
                        + ServeConfig.FIND_MAX_PIXELS + ")",
                tall.path("error").asText());
        assertTrue(
                allocated < 32L << 20,
                "answered with " + (allocated >> 20) + " MiB allocated (decoding would "
                        + "take 117 MiB, tiling it 16 times 1.9 GB)");
    }

    @Test
    void nonFiniteOrOutOfRangeNumbersAre400NamingTheField() throws Exception {
        assertEquals(
                "seconds must be a finite positive number, not Infinity",
                post("/v1/ask", "{\"stream\":\"cam\",\"question\":\"?\",\"seconds\":1e309}", 400)
                        .path("error")
                        .asText());
        assertEquals(
                "seconds must be a positive number",
                post("/v1/ask", "{\"stream\":\"cam\",\"question\":\"?\",\"seconds\":\"soon\"}", 400)
                        .path("error")
                        .asText());
        assertEquals(
                "limit must be an integer from 1 to 10000",
                HttpService.JSON
                        .readTree(get("/v1/streams/cam/windows?limit=-5", 400))
                        .path("error")
                        .asText());
        assertEquals(
                "limit must be an integer from 1 to 10000",
                HttpService.JSON
                        .readTree(get("/v1/streams/cam/windows?limit=10001", 400))
                        .path("error")
                        .asText());
        assertEquals(
                "top must be an integer from 1 to 1000",
                post("/v1/find", "{\"stream\":\"cam\",\"image\":\"aGVsbG8=\",\"top\":1e309}", 400)
                        .path("error")
                        .asText());
        assertEquals(
                "top must be an integer from 1 to 1000",
                post("/v1/find", "{\"stream\":\"cam\",\"image\":\"aGVsbG8=\",\"top\":-5}", 400)
                        .path("error")
                        .asText());
        assertEquals(
                "frame_width and frame_height must be 1 to 16384",
                post("/v1/find", "{\"stream\":\"cam\",\"image\":\"aGVsbG8=\",\"frame_height\":4294967297}", 400)
                        .path("error")
                        .asText());
        assertTrue(RECORDED.isEmpty(), "nothing sent to the LLM");
    }

    @Test
    void askingForTenThousandWindowsIs400NamingTheCap() throws Exception {
        final JsonNode out = post(
                "/v1/ask", json().put("stream", STREAM).put("question", "?").put("max_windows", 10_000), 400);
        assertEquals(
                "max_windows must be at most 256 (" + ServeConfig.ASK_MAX_WINDOWS + "), not 10000",
                out.path("error").asText());
        assertTrue(RECORDED.isEmpty(), "nothing sent to the LLM");
        assertEquals(
                5,
                post(
                                "/v1/ask",
                                json().put("stream", STREAM)
                                        .put("question", "?")
                                        .put("max_windows", 256),
                                200)
                        .path("windows")
                        .size(),
                "the cap itself is allowed");
    }
}
