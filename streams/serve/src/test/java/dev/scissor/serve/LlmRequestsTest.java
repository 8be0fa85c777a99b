package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.scissor.consumer.Window;
import dev.scissor.http.HttpService;
import dev.scissor.schemas.avro.CompressedWindow;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code /v1/ask} wire format against a local HTTP server that records what it receives:
 * {@code POST /v1/chat/completions}, the bearer token, JSON with the model, a system message and a
 * user message of text annotations and {@code image_embeds} parts whose tensors decode to exactly
 * the windows' tokens, in order; the no-server mode builds the same body.
 */
class LlmRequestsTest {

    private static Window window(final long first, final int count, final int dim, final float base) {
        dev.scissor.schemas.AvroTrust.trustGeneratedClasses();
        final ByteBuffer b = ByteBuffer.allocate(count * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count * dim; i++) {
            b.putFloat(base + i * 0.001f);
        }
        b.flip();
        final List<Integer> merged = new ArrayList<>();
        final List<Long> ff = new ArrayList<>();
        final List<Float> pos = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            merged.add(1);
            ff.add(first);
            pos.add(0f);
        }
        return Window.of(
                CompressedWindow.newBuilder(dev.scissor.consumer.WindowTestAccess.record("cam-1", first, count, dim)
                                .build())
                        .setTokens(b)
                        .setMergedCounts(merged)
                        .setFirstFrame(ff)
                        .setLastFrame(ff)
                        .setMeanRow(pos)
                        .setMeanCol(pos)
                        .build());
    }

    @Test
    void postsAChatCompletionWithImageEmbedsPerWindow(@TempDir final Path dir) throws Exception {
        final List<Window> windows = List.of(window(100, 3, 8, 1f), window(104, 5, 8, 2f));
        final AtomicReference<String> method = new AtomicReference<>();
        final AtomicReference<String> path = new AtomicReference<>();
        final AtomicReference<String> auth = new AtomicReference<>();
        final AtomicReference<String> type = new AtomicReference<>();
        final AtomicReference<byte[]> body = new AtomicReference<>();
        final HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            method.set(ex.getRequestMethod());
            path.set(ex.getRequestURI().getPath());
            auth.set(ex.getRequestHeaders().getFirst("Authorization"));
            type.set(ex.getRequestHeaders().getFirst("Content-Type"));
            body.set(ex.getRequestBody().readAllBytes());
            final byte[] answer = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Two people.\"}}]}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, answer.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(answer);
            }
        });
        server.start();
        try {
            final LlmRequests llm = new LlmRequests(
                    "http://127.0.0.1:" + server.getAddress().getPort(),
                    "llava-hf/llava-1.5-7b-hf",
                    Duration.ofSeconds(10),
                    "sk-test");
            final ObjectNode request = llm.build("cam-1", windows, "How many people?");
            final LlmRequests.Answer answer = llm.send(request);
            assertEquals(200, answer.status());
            assertEquals("Two people.", answer.text());
        } finally {
            server.stop(0);
        }
        assertEquals("POST", method.get());
        assertEquals("/v1/chat/completions", path.get());
        assertEquals("Bearer sk-test", auth.get());
        assertEquals("application/json", type.get());

        final JsonNode sent = HttpService.JSON.readTree(body.get());
        assertEquals("llava-hf/llava-1.5-7b-hf", sent.path("model").asText());
        assertFalse(sent.path("stream").asBoolean(true));
        assertEquals("system", sent.path("messages").path(0).path("role").asText());
        final JsonNode user = sent.path("messages").path(1);
        assertEquals("user", user.path("role").asText());
        final JsonNode content = user.path("content");
        assertEquals(1 + 2 * windows.size() + 1, content.size());
        assertEquals("text", content.path(0).path("type").asText());
        assertTrue(
                content.path(0).path("text").asText().startsWith("Stream 'cam-1', 2 windows from "),
                content.path(0).toString());
        assertEquals(
                "Question: How many people?",
                content.path(content.size() - 1).path("text").asText());
        for (int w = 0; w < windows.size(); w++) {
            final Window win = windows.get(w);
            final JsonNode note = content.path(1 + 2 * w);
            assertEquals("text", note.path("type").asText());
            assertEquals(LlmRequests.annotation(w + 1, win), note.path("text").asText());
            assertTrue(
                    note.path("text")
                            .asText()
                            .matches("window " + (w + 1) + ": \\d\\d:\\d\\d:\\d\\d\\.\\d{3}-"
                                    + "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC, frames " + win.firstSequence() + "-"
                                    + win.lastSequence()
                                    + " \\(4 frames\\), " + win.tokenCount() + " tokens"),
                    note.toString());
            final JsonNode part = content.path(2 + 2 * w);
            assertEquals("image_embeds", part.path("type").asText());
            assertEquals(2, part.size(), "only type and image_embeds: " + part.fieldNames());
            final byte[] tensor =
                    Base64.getDecoder().decode(part.path("image_embeds").asText());
            final TorchTensorsTest.Loaded loaded = TorchTensorsTest.load(tensor, dir);
            final FloatBuffer expected = win.tokens();
            final float[] e = new float[expected.remaining()];
            expected.get(e);
            assertArrayEquals(e, loaded.values(), "tokens of window " + w);
            assertArrayEquals(
                    TorchTensors.pickle(
                            "FloatStorage", e.length, new long[] {win.tokenCount(), win.tokenDim()}, new long[] {
                                win.tokenDim(), 1
                            }),
                    loaded.pickle(),
                    "shape [tokenCount, tokenDim]");
        }

        // Without a server the same body is built (it is what /v1/ask returns as "request").
        final LlmRequests none = new LlmRequests("", "llava-hf/llava-1.5-7b-hf", Duration.ofSeconds(1), null);
        assertFalse(none.hasServer());
        assertEquals(sent, none.build("cam-1", windows, "How many people?"));
    }

    @Test
    void leavesOutAnEmptyModelAndAMissingKey() throws Exception {
        final LlmRequests none = new LlmRequests("", "", Duration.ofSeconds(1), " ");
        final ObjectNode r = none.build("s", List.of(window(0, 1, 4, 0f)), "q");
        assertFalse(r.has("model"));
        assertEquals("", none.endpoint());
    }
}
