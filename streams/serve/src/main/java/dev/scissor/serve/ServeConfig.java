package dev.scissor.serve;

import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.http.HttpLimits;
import dev.scissor.kafka.ConfigDocs;
import dev.scissor.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the QA service ({@code scissor serve}), declared once in {@link #DEFINITION}.
 *
 * <p>Keys starting with {@value #PREFIX} are the service's own; every other key is a Kafka consumer
 * setting ({@code bootstrap.servers} at least), passed to the windows consumer unchanged. The LLM's
 * API key is never read from here: it comes from the environment variable {@value #API_KEY_ENV}.
 * Invalid values fail at construction with a {@link ConfigException} that names the key.
 */
public final class ServeConfig extends AbstractConfig {

    /** Prefix of the service's own keys. */
    public static final String PREFIX = "scissor.serve.";
    /** The environment variable holding the LLM server's API key (sent as {@code Authorization: Bearer}). */
    public static final String API_KEY_ENV = "SCISSOR_LLM_API_KEY";

    public static final String PORT = "scissor.serve.port";
    public static final String BIND = "scissor.serve.bind";
    public static final String WINDOWS_TOPIC = "scissor.serve.topic.windows";
    public static final String COMPRESSOR_URLS = "scissor.serve.compressor.urls";
    public static final String LLM_URL = "scissor.serve.llm.url";
    public static final String LLM_MODEL = "scissor.serve.llm.model";
    public static final String LLM_TIMEOUT_MS = "scissor.serve.llm.timeout.ms";
    public static final String EMBEDS_FORMAT = "scissor.serve.embeds.format";
    public static final String EMBEDS_DTYPE = "scissor.serve.embeds.dtype";
    public static final String ENCODER_MODEL = "scissor.serve.encoder.model";
    public static final String HISTORY_SECONDS = "scissor.serve.history.seconds";
    public static final String MAX_WINDOWS_PER_STREAM = "scissor.serve.max.windows.per.stream";
    public static final String MAX_BODY_BYTES = "scissor.serve.max.body.bytes";
    public static final String MAX_INDEX_BYTES = "scissor.serve.max.index.bytes";
    public static final String ASK_MAX_WINDOWS = "scissor.serve.ask.max.windows";
    public static final String ASK_MAX_REQUEST_BYTES = "scissor.serve.ask.max.request.bytes";
    public static final String FIND_MAX_PIXELS = "scissor.serve.find.max.pixels";
    /** Prefix of the HTTP server's limits ({@link HttpLimits}): {@code scissor.serve.http.threads} and so on. */
    public static final String HTTP_PREFIX = "scissor.serve.http.";

    /** Every key, its type, default, validator and documentation. */
    public static final ConfigDef DEFINITION = HttpLimits.define(
            new ConfigDef()
                    .define(
                            PORT,
                            Type.INT,
                            8080,
                            Range.between(0, 65535),
                            Importance.HIGH,
                            "HTTP port of the QA service (0 picks a free one).")
                    .define(
                            BIND,
                            Type.STRING,
                            "127.0.0.1",
                            new ConfigDef.NonEmptyString(),
                            Importance.MEDIUM,
                            "Address the HTTP server binds: 127.0.0.1 (the default) answers only on this machine; set "
                                    + "0.0.0.0 for every interface (containers, other hosts) and protect it: see the "
                                    + "SCISSOR_HTTP_TOKEN environment variable and the README's Security section.")
                    .define(
                            WINDOWS_TOPIC,
                            Type.STRING,
                            Topics.WINDOWS,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Topic of CompressedWindow records to index; every partition is read, so each replica of "
                                    + "the service keeps a full index.")
                    .define(
                            COMPRESSOR_URLS,
                            Type.LIST,
                            "http://localhost:8081",
                            Importance.MEDIUM,
                            "HTTP endpoints of the compressor instances; GET /v1/streams/{id}/windows/latest is "
                                    + "forwarded to the first that answers.")
                    .define(
                            LLM_URL,
                            Type.STRING,
                            "",
                            Importance.HIGH,
                            "Base URL of an OpenAI-compatible server that accepts image_embeds content parts (vLLM with "
                                    + "--enable-mm-embeds), e.g. http://llm:8000; /v1/chat/completions is appended. "
                                    + "Empty: /v1/ask answers with the request instead of sending it.")
                    .define(
                            LLM_MODEL,
                            Type.STRING,
                            "",
                            Importance.MEDIUM,
                            "The model name sent in LLM requests; empty leaves it out (the server's only model).")
                    .define(
                            LLM_TIMEOUT_MS,
                            Type.INT,
                            60_000,
                            Range.between(100, 3_600_000),
                            Importance.MEDIUM,
                            "How long to wait for the LLM's answer.")
                    .define(
                            EMBEDS_FORMAT,
                            Type.STRING,
                            "torch",
                            ConfigDef.ValidString.in("torch", "npy"),
                            Importance.MEDIUM,
                            "Container of each window's image_embeds tensor [tokens, dim]: torch (torch.save, read by "
                                    + "vLLM with torch.load(weights_only=True)) or npy (a NumPy file, read with np.load, no "
                                    + "pickle; float32 and float16 only).")
                    .define(
                            EMBEDS_DTYPE,
                            Type.STRING,
                            "auto",
                            ConfigDef.ValidString.in("auto", "float32", "float16", "bfloat16"),
                            Importance.MEDIUM,
                            "Element type of the image_embeds tensors: auto sends each window in its own "
                                    + "dtype on the wire (float16 for exported VLM towers), or float32, float16, bfloat16 "
                                    + "(torch only). Match the served model's dtype to spare the server a conversion.")
                    .define(
                            ENCODER_MODEL,
                            Type.STRING,
                            "mnv2-nsfwjs",
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "The vision encoder /v1/find encodes query images with (a built-in id, an exported model "
                                    + "directory or a descriptor file); must be the encoder stage's model, or query and window tokens do not compare.")
                    .define(
                            HISTORY_SECONDS,
                            Type.LONG,
                            3600L,
                            Range.between(1, 365L * 24 * 3600),
                            Importance.MEDIUM,
                            "How far back windows are kept per stream, in seconds of capture time before the stream's "
                                    + "newest window; also where reading starts on startup.")
                    .define(
                            MAX_WINDOWS_PER_STREAM,
                            Type.INT,
                            10_000,
                            Range.between(1, 10_000_000),
                            Importance.MEDIUM,
                            "At most this many windows are kept per stream (the oldest go first).")
                    .define(
                            MAX_INDEX_BYTES,
                            Type.LONG,
                            1L << 30,
                            Range.atLeast(1L << 20),
                            Importance.MEDIUM,
                            "At most this many bytes of window tokens are held over all streams; past it the oldest "
                                    + "windows of any stream go first (each stream keeps at least its newest). A window of "
                                    + "400 tokens of 816 dims is 1.3 MB, so the default 1 GiB holds about 800; a float16 window "
                                    + "counts 6 bytes a value (its own 2 and the float32 copy its readers decode).")
                    .define(
                            MAX_BODY_BYTES,
                            Type.LONG,
                            16L << 20,
                            Range.between(1024, 1L << 30),
                            Importance.LOW,
                            "Largest request body accepted (a /v1/find image is base64 inside JSON); larger get 413.")
                    .define(
                            ASK_MAX_WINDOWS,
                            Type.INT,
                            256,
                            Range.between(1, 100_000),
                            Importance.LOW,
                            "Most windows one /v1/ask may send to the LLM: a larger max_windows gets 400.")
                    .define(
                            ASK_MAX_REQUEST_BYTES,
                            Type.LONG,
                            256L << 20,
                            Range.between(1L << 16, 1L << 34),
                            Importance.LOW,
                            "Most bytes of window tokens one /v1/ask may put into its LLM request (which is built in "
                                    + "memory, base64 adds a third); past it the request gets 413 naming this key. The "
                                    + "default holds about 190 windows of 400 tokens of 816 dims.")
                    .define(
                            FIND_MAX_PIXELS,
                            Type.LONG,
                            QueryEncoder.DEFAULT_MAX_PIXELS,
                            Range.between(64L * 64, 16384L * 16384),
                            Importance.LOW,
                            "Largest image /v1/find decodes, in pixels: the query image as its header "
                                    + "declares it, the frame (frame_width * frame_height) and the query tiled to the "
                                    + "frame's scale must each fit, or the request gets 413 before anything is decoded. "
                                    + "3 bytes a pixel: the default 16.8 Mpx is 48 MiB."),
            HTTP_PREFIX);

    /**
     * Parses and validates a configuration.
     *
     * @param originals {@code scissor.serve.*} keys and Kafka consumer keys
     * @throws ConfigException for an invalid value or an unknown {@code scissor.serve.*} key
     */
    public ServeConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        for (final Object key : originals.keySet()) {
            final String name = String.valueOf(key);
            if (name.startsWith(PREFIX) && !DEFINITION.names().contains(name)) {
                throw new ConfigException(
                        name,
                        originals.get(key),
                        "unknown QA service setting; known keys: "
                                + String.join(", ", new TreeSet<>(DEFINITION.names())));
            }
        }
        if (getList(COMPRESSOR_URLS).isEmpty()) {
            throw new ConfigException(COMPRESSOR_URLS, "", "give at least one compressor URL");
        }
        for (final String url : getList(COMPRESSOR_URLS)) {
            checkHttpUrl(COMPRESSOR_URLS, url);
        }
        if (!llmUrl().isEmpty()) {
            checkHttpUrl(LLM_URL, llmUrl());
        }
        if (embedsFormat() == EmbeddingTensors.Format.NPY
                && embedsDtype() != null
                && !embedsDtype().inNpy()) {
            throw new ConfigException(
                    EMBEDS_DTYPE,
                    getString(EMBEDS_DTYPE),
                    "NumPy files cannot carry it; set " + EMBEDS_FORMAT + "=torch or another dtype");
        }
    }

    private static void checkHttpUrl(final String key, final String url) {
        try {
            final URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new ConfigException(key, url, "must be an http:// or https:// URL with a host");
            }
        } catch (final URISyntaxException e) {
            throw new ConfigException(key, url, "not a URL: " + e.getMessage());
        }
    }

    /** The container of the image_embeds tensors. */
    public EmbeddingTensors.Format embedsFormat() {
        return EmbeddingTensors.Format.parse(getString(EMBEDS_FORMAT));
    }

    /** Their element type, or {@code null} for each window's own. */
    public EmbeddingTensors.DType embedsDtype() {
        final String d = getString(EMBEDS_DTYPE);
        return "auto".equals(d) ? null : EmbeddingTensors.DType.parse(d);
    }

    /** The HTTP port (0: any free one). */
    public int port() {
        return getInt(PORT);
    }

    /** The address to bind. */
    public String bind() {
        return getString(BIND);
    }

    /** The windows topic. */
    public String windowsTopic() {
        return getString(WINDOWS_TOPIC);
    }

    /** The compressor instances' base URLs, without a trailing slash. */
    public List<String> compressorUrls() {
        return getList(COMPRESSOR_URLS).stream().map(ServeConfig::trimSlash).toList();
    }

    /** The LLM server's base URL without a trailing slash, or empty. */
    public String llmUrl() {
        return trimSlash(getString(LLM_URL).strip());
    }

    /** The LLM model name, or empty. */
    public String llmModel() {
        return getString(LLM_MODEL).strip();
    }

    /** The LLM timeout in milliseconds. */
    public int llmTimeoutMs() {
        return getInt(LLM_TIMEOUT_MS);
    }

    /** The encoder model of /v1/find. */
    public String encoderModel() {
        return getString(ENCODER_MODEL).strip();
    }

    /**
     * The encoder descriptor of /v1/find: a built-in one by name, an exported model directory or a descriptor file.
     *
     * @return the descriptor
     * @throws ConfigException when it is neither
     */
    public EncoderModelDescriptor encoderDescriptor() {
        final String m = getString(ENCODER_MODEL).strip();
        try {
            return EncoderModelDescriptor.resolve(m);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read encoder descriptor " + m, e);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(ENCODER_MODEL, m, e.getMessage());
        }
    }

    /** History kept per stream, seconds. */
    public long historySeconds() {
        return getLong(HISTORY_SECONDS);
    }

    /** Windows kept per stream at most. */
    public int maxWindowsPerStream() {
        return getInt(MAX_WINDOWS_PER_STREAM);
    }

    /** Bytes of window tokens held at most, over all streams. */
    public long maxIndexBytes() {
        return getLong(MAX_INDEX_BYTES);
    }

    /** Largest request body. */
    public long maxBodyBytes() {
        return getLong(MAX_BODY_BYTES);
    }

    /** Most windows one /v1/ask sends. */
    public int askMaxWindows() {
        return getInt(ASK_MAX_WINDOWS);
    }

    /** Most bytes of window tokens one /v1/ask puts into its LLM request. */
    public long askMaxRequestBytes() {
        return getLong(ASK_MAX_REQUEST_BYTES);
    }

    /** Largest image /v1/find decodes or builds, in pixels. */
    public long findMaxPixels() {
        return getLong(FIND_MAX_PIXELS);
    }

    /** The HTTP server's limits ({@value #HTTP_PREFIX}{@code *} and {@value #MAX_BODY_BYTES}). */
    public HttpLimits httpLimits() {
        return HttpLimits.from(this, HTTP_PREFIX, maxBodyBytes());
    }

    /**
     * The Kafka consumer properties: every key that is not {@code scissor.*}.
     *
     * @return a new map
     */
    public Map<String, Object> consumerProperties() {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "scissor-serve");
        originals().forEach((k, v) -> {
            if (!k.startsWith("scissor.")) {
                p.put(k, v);
            }
        });
        return p;
    }

    private static String trimSlash(final String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** The documentation of every key as text, one key a line (for {@code --describe-config}). */
    public static String describe() {
        return ConfigDocs.describe(DEFINITION);
    }
}
