package dev.scissor.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.consumer.Window;
import dev.scissor.http.HttpService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;

/**
 * Builds and sends the LLM requests of {@code POST /v1/ask}: an OpenAI-compatible chat completion
 * whose user message interleaves, for each window, a text annotation (time span, frames, token
 * count) and an {@code image_embeds} content part carrying the window's compressed tokens as a
 * base64 tensor {@code [tokenCount, tokenDim]} ({@link EmbeddingTensors}: {@code torch.save} or
 * {@code .npy}, float32, float16 or bfloat16), then the question. See
 * {@code streams/LLM-WIRE-FORMAT.md} for the servers that accept it.
 */
public final class LlmRequests {

    /** The path appended to {@code scissor.serve.llm.url}. */
    public static final String CHAT_PATH = "/v1/chat/completions";
    /** The system prompt. */
    public static final String SYSTEM_PROMPT = "You answer questions about a video stream. The user message gives "
            + "the stream's recent windows in time order; each window's annotation (UTC time span and frame "
            + "numbers) is followed by that window's visual tokens. Refer to windows by their times.";

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private final HttpClient client;
    private final String url;
    private final String model;
    private final Duration timeout;
    private final String apiKey;
    private final EmbeddingTensors.Format format;
    private final EmbeddingTensors.DType dtype;

    /**
     * A request builder and sender that sends the tokens as float32 {@code torch.save} tensors.
     *
     * @param url the server's base URL, or empty for none
     * @param model the model name, or empty to leave it out
     * @param timeout how long to wait for an answer
     * @param apiKey the bearer token, or {@code null}/empty for none
     */
    public LlmRequests(final String url, final String model, final Duration timeout, final String apiKey) {
        this(url, model, timeout, apiKey, EmbeddingTensors.Format.TORCH, null);
    }

    /**
     * A request builder and sender.
     *
     * @param url the server's base URL, or empty for none
     * @param model the model name, or empty to leave it out
     * @param timeout how long to wait for an answer
     * @param apiKey the bearer token, or {@code null}/empty for none
     * @param format the container of the {@code image_embeds} tensors
     * @param dtype their element type, or {@code null} for each window's own (float16 windows as
     *     float16, float32 windows as float32)
     */
    public LlmRequests(
            final String url,
            final String model,
            final Duration timeout,
            final String apiKey,
            final EmbeddingTensors.Format format,
            final EmbeddingTensors.DType dtype) {
        this.format = java.util.Objects.requireNonNull(format, "format");
        this.dtype = dtype;
        if (format == EmbeddingTensors.Format.NPY && dtype != null && !dtype.inNpy()) {
            throw new IllegalArgumentException("NumPy files cannot carry " + dtype + "; use the torch format");
        }
        this.url = url == null ? "" : url;
        this.model = model == null ? "" : model;
        this.timeout = timeout;
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.client = this.url.isEmpty()
                ? null
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Whether a server is configured. */
    public boolean hasServer() {
        return !url.isEmpty();
    }

    /** The full URL requests go to, or empty. */
    public String endpoint() {
        return url.isEmpty() ? "" : url + CHAT_PATH;
    }

    /**
     * The annotation of a window in the request's text.
     *
     * @param index the window's 1-based index in the request
     * @param w the window
     * @return e.g. {@code window 3: 12:00:03.000-12:00:11.000 UTC, frames 6-21 (16 frames), 57 tokens}
     */
    public static String annotation(final int index, final Window w) {
        return "window " + index + ": " + TIME.format(w.firstTimestamp()) + "-" + TIME.format(w.lastTimestamp())
                + " UTC, frames " + w.firstSequence() + "-" + w.lastSequence() + " ("
                + w.frameSequences().size()
                + " frames), " + w.tokenCount() + " tokens";
    }

    /**
     * The request body.
     *
     * @param stream the stream's id
     * @param windows the windows, oldest first (at least one)
     * @param question the question
     * @return the chat completion request
     */
    public ObjectNode build(final String stream, final List<Window> windows, final String question) {
        final ObjectNode body = HttpService.JSON.createObjectNode();
        if (!model.isEmpty()) {
            body.put("model", model);
        }
        final ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM_PROMPT);
        final ObjectNode user = messages.addObject().put("role", "user");
        final ArrayNode content = user.putArray("content");
        final Window first = windows.get(0);
        final Window last = windows.get(windows.size() - 1);
        content.addObject()
                .put("type", "text")
                .put(
                        "text",
                        "Stream '" + stream + "', " + windows.size()
                                + " window" + (windows.size() == 1 ? "" : "s") + " from "
                                + DATE.format(first.firstTimestamp()) + " "
                                + TIME.format(first.firstTimestamp()) + " to " + DATE.format(last.lastTimestamp()) + " "
                                + TIME.format(last.lastTimestamp()) + " UTC.");
        int i = 1;
        for (final Window w : windows) {
            content.addObject().put("type", "text").put("text", annotation(i++, w));
            content.addObject()
                    .put("type", "image_embeds")
                    .put("image_embeds", Base64.getEncoder().encodeToString(embeds(w)));
        }
        content.addObject().put("type", "text").put("text", "Question: " + question);
        body.put("stream", false);
        return body;
    }

    /** A window's image_embeds bytes: its own elements when they are already of the sent type, else converted. */
    private byte[] embeds(final Window w) {
        final EmbeddingTensors.DType t = dtypeOf(w);
        final boolean same = w.dtype() == dev.scissor.schemas.avro.TokenDtype.FLOAT16
                ? t == EmbeddingTensors.DType.FLOAT16
                : t == EmbeddingTensors.DType.FLOAT32;
        return same
                ? EmbeddingTensors.encodeElements(w.tokenBytes(), w.tokenCount(), w.tokenDim(), format, t)
                : EmbeddingTensors.encode(w.tokens(), w.tokenCount(), w.tokenDim(), format, t);
    }

    /** The element type a window's tokens are sent in. */
    EmbeddingTensors.DType dtypeOf(final Window w) {
        if (dtype != null) {
            return dtype;
        }
        return w.dtype() == dev.scissor.schemas.avro.TokenDtype.FLOAT16
                ? EmbeddingTensors.DType.FLOAT16
                : EmbeddingTensors.DType.FLOAT32;
    }

    /** The server's answer: status and body. */
    public record Answer(int status, JsonNode body, String text) {}

    /**
     * Sends a request to the configured server.
     *
     * @param request the body from {@link #build}
     * @return the server's answer (any status)
     * @throws IOException when the server cannot be reached or times out
     * @throws InterruptedException when interrupted
     */
    public Answer send(final ObjectNode request) throws IOException, InterruptedException {
        if (client == null) {
            throw new IllegalStateException("no LLM server is configured");
        }
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint()))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(HttpService.JSON.writeValueAsBytes(request)));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        final HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode json = null;
        try {
            json = HttpService.JSON.readTree(r.body());
        } catch (final IOException notJson) {
            // kept as text below
        }
        String text = null;
        if (json != null) {
            final JsonNode c = json.path("choices").path(0).path("message").path("content");
            text = c.isTextual() ? c.asText() : null;
        }
        return new Answer(
                r.statusCode(),
                json,
                text != null ? text : new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    }

    static String time(final long epochMs) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(epochMs));
    }
}
