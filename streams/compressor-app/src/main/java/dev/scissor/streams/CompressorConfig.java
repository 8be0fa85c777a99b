package dev.scissor.streams;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.http.HttpLimits;
import dev.scissor.kafka.ConfigDocs;
import dev.scissor.schemas.Topics;
import dev.scissor.schemas.avro.TokenDtype;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The configuration of the Scissor compressor application, declared once in {@link #DEFINITION}.
 *
 * <p>Keys starting with {@code scissor.} are the compressor's own; every other key is passed to
 * Kafka Streams unchanged ({@link #streamsProperties()}), where the compressor changes a few
 * defaults: {@code application.id} is {@value #DEFAULT_APPLICATION_ID}, {@code
 * processing.guarantee} is {@code exactly_once_v2}, RocksDB's memory is bounded ({@link
 * BoundedRocksDBMemory}) and refined mode gets a longer transaction timeout; {@code
 * num.standby.replicas} and the other Kafka Streams keys pass through. Invalid values fail at
 * construction with a {@link ConfigException} that names the key.
 */
public final class CompressorConfig extends AbstractConfig {

    /** Prefix of the compressor's own keys. */
    public static final String PREFIX = "scissor.";
    /** Default Kafka Streams application id (and consumer group). */
    public static final String DEFAULT_APPLICATION_ID = "scissor-compressor";

    public static final String TOKENS_TOPIC = "scissor.topic.tokens";
    public static final String WINDOWS_TOPIC = "scissor.topic.windows";
    public static final String DLQ_TOPIC = "scissor.topic.dlq";
    public static final String WINDOW_FRAMES = "scissor.window.frames";
    public static final String HOP_FRAMES = "scissor.hop.frames";
    public static final String TAU = "scissor.tau";
    public static final String EPSILON = "scissor.epsilon";
    public static final String BUDGET_TOKENS = "scissor.budget.tokens";
    public static final String RETENTION = "scissor.retention";
    public static final String SEED = "scissor.seed";
    public static final String MODE = "scissor.mode";
    public static final String EMIT_MODE = "scissor.emit.mode";
    public static final String SCENE_CHANGE_THRESHOLD = "scissor.scene.change.threshold";
    public static final String SCENE_CHANGE_MIN_FRAMES = "scissor.scene.change.min.frames";
    public static final String GRACE_FRAMES = "scissor.grace.frames";
    public static final String MAX_TOKENS_PER_FRAME = "scissor.max.tokens.per.frame";
    public static final String MAX_TOKEN_DIM = "scissor.max.token.dim";
    public static final String WINDOWS_DTYPE = "scissor.windows.dtype";
    public static final String HTTP_PORT = "scissor.http.port";
    public static final String HTTP_BIND = "scissor.http.bind";
    public static final String HTTP_ADVERTISED_HOST = "scissor.http.advertised.host";
    /** Prefix of the HTTP endpoint's limits ({@link HttpLimits}): {@code scissor.http.threads} and so on. */
    public static final String HTTP_PREFIX = "scissor.http.";
    /** The largest request body of the HTTP endpoint (its routes take none). */
    public static final long HTTP_MAX_BODY_BYTES = 64 << 10;

    public static final String ROCKSDB_BLOCK_CACHE_BYTES = "scissor.rocksdb.block.cache.bytes";
    public static final String ROCKSDB_WRITE_BUFFER_BYTES = "scissor.rocksdb.write.buffer.bytes";
    /**
     * The producer's {@code transaction.timeout.ms} in refined mode unless set: 60 s, as one refined window of
     * 16 frames of 196 tokens of dimension 3584 took 12 to 22 s on a 2-core machine, longer than Kafka Streams'
     * exactly-once default of 10 s (kept in classic mode), which would abort its transaction again at every retry.
     */
    public static final int REFINED_TRANSACTION_TIMEOUT_MS = 60_000;
    /** Default of {@value #ROCKSDB_BLOCK_CACHE_BYTES}: 256 MiB. */
    public static final long DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES = 256L << 20;
    /** Default of {@value #ROCKSDB_WRITE_BUFFER_BYTES}: 128 MiB. */
    public static final long DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES = 128L << 20;

    /** The emit modes of {@value #EMIT_MODE}. */
    public enum EmitMode {
        /** A window every hop. */
        HOP,
        /** A window every hop, and early when the scene changes. */
        EVENT
    }

    /** Every key, its type, default, validator and documentation. */
    public static final ConfigDef DEFINITION = HttpLimits.define(
            new ConfigDef()
                    .define(
                            TOKENS_TOPIC,
                            Type.STRING,
                            Topics.TOKENS,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Input topic of FrameTokens records, keyed by stream id.")
                    .define(
                            WINDOWS_TOPIC,
                            Type.STRING,
                            Topics.WINDOWS,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Output topic of CompressedWindow records, keyed by stream id: what LLM consumers read.")
                    .define(
                            DLQ_TOPIC,
                            Type.STRING,
                            Topics.DLQ,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Dead-letter topic: every input record that cannot be compressed, unchanged, with the reason "
                                    + "and its source coordinates in headers (see DeadLetters).")
                    .define(
                            WINDOW_FRAMES,
                            Type.INT,
                            16,
                            Range.between(1, 256),
                            Importance.HIGH,
                            "Window length W in frames: each compressed window covers the last W frames of a stream.")
                    .define(
                            HOP_FRAMES,
                            Type.INT,
                            4,
                            Range.between(1, 256),
                            Importance.HIGH,
                            "Hop H in frames: a window is emitted when the first W frames are in, then every H frames. "
                                    + "At most the window length.")
                    .define(
                            TAU,
                            Type.DOUBLE,
                            ScissorParams.DEFAULT_TAU,
                            Range.between(-1.0, 1.0),
                            Importance.HIGH,
                            "Cosine-similarity threshold: tokens with cos > tau are connected (spatial and temporal SCC).")
                    .define(
                            EPSILON,
                            Type.DOUBLE,
                            ScissorParams.DEFAULT_EPSILON,
                            Range.between(0.0, 1.0),
                            Importance.MEDIUM,
                            "Approximation tolerance of the connected-components step; sample size min(n, ceil(ln n / eps^2)). "
                                    + "0 = exact.")
                    .define(
                            BUDGET_TOKENS,
                            Type.INT,
                            0,
                            Range.atLeast(0),
                            Importance.MEDIUM,
                            "Budget mode: exactly this many output tokens per window (single-linkage cut) instead of the "
                                    + "tau threshold of the temporal step. 0 = off. Exclusive with " + RETENTION + ".")
                    .define(
                            RETENTION,
                            Type.DOUBLE,
                            0.0,
                            Range.between(0.0, 1.0),
                            Importance.MEDIUM,
                            "Budget mode as a ratio: round(r * W * N) output tokens per window. 0 = off. Exclusive with "
                                    + BUDGET_TOKENS + ".")
                    .define(
                            SEED,
                            Type.LONG,
                            ScissorParams.DEFAULT_SEED,
                            Importance.LOW,
                            "Seed of the sample orders of the epsilon approximation; a replay with the same seed gives the "
                                    + "same windows.")
                    .define(
                            MODE,
                            Type.STRING,
                            "classic",
                            ValidString.in("classic", "refined"),
                            Importance.MEDIUM,
                            "classic: the paper's semantic connected components. refined: budget mode without chaining "
                                    + "(classic cut to half the budget, then the cluster with the largest total cosine "
                                    + "distance is split until the budget is reached, then two assignment/mean iterations "
                                    + "over the window's tokens); needs " + BUDGET_TOKENS + " or " + RETENTION + ".")
                    .define(
                            EMIT_MODE,
                            Type.STRING,
                            "hop",
                            ValidString.in("hop", "event"),
                            Importance.MEDIUM,
                            "hop: a window every hop. event: also emit early (reason SCENE_CHANGE) when a frame's novelty "
                                    + "reaches "
                                    + "scissor.scene.change.threshold, so alerting pipelines react in one frame.")
                    .define(
                            SCENE_CHANGE_THRESHOLD,
                            Type.DOUBLE,
                            0.5,
                            Range.between(0.0, 1.0),
                            Importance.MEDIUM,
                            "Event mode: the fraction of a frame's tokens with no similar token (cos > tau) in the frame "
                                    + "before it at which the scene counts as changed.")
                    .define(
                            SCENE_CHANGE_MIN_FRAMES,
                            Type.INT,
                            2,
                            Range.atLeast(2),
                            Importance.LOW,
                            "Event mode: an early window needs at least this many frames.")
                    .define(
                            GRACE_FRAMES,
                            Type.INT,
                            0,
                            Range.between(0, 64),
                            Importance.MEDIUM,
                            "Reordering grace for late frames: a frame waits until a frame G sequence numbers later has "
                                    + "arrived (or its predecessor is in) before it joins the window, so frames up to G "
                                    + "behind are put back in order. A frame behind one already compressed is a dead letter "
                                    + "(LATE). 0 = frames must arrive in order.")
                    .define(
                            MAX_TOKENS_PER_FRAME,
                            Type.INT,
                            4096,
                            Range.between(1, 1 << 16),
                            Importance.MEDIUM,
                            "Largest token grid (height * width) accepted per frame; larger frames are dead letters "
                                    + "(TOO_MANY_TOKENS), checked before anything is allocated.")
                    .define(
                            MAX_TOKEN_DIM,
                            Type.INT,
                            8192,
                            Range.between(1, 1 << 16),
                            Importance.MEDIUM,
                            "Largest token dimension accepted; larger frames are dead letters (TOO_MANY_TOKENS).")
                    .define(
                            WINDOWS_DTYPE,
                            Type.STRING,
                            "input",
                            ValidString.in("input", "float32", "float16"),
                            Importance.MEDIUM,
                            "Element type of the tokens of CompressedWindow records: input (the stream's own: a stream keeps "
                                    + "the dtype of its first frame, float16 frames of exported vision towers give float16 "
                                    + "windows), float32 or float16 (rounded to nearest even; magnitudes from 65520 become "
                                    + "infinite). The compressor computes in float32 either way.")
                    .define(
                            HTTP_PORT,
                            Type.INT,
                            8081,
                            Range.between(-1, 65535),
                            Importance.MEDIUM,
                            "Port of the compressor's HTTP endpoint: GET /metrics (Prometheus) and the interactive query "
                                    + "GET /v1/streams/{id}/windows/latest. 0 = any free port; -1 = no endpoint (and no "
                                    + "application.server, so other instances cannot forward queries here).")
                    .define(
                            HTTP_BIND,
                            Type.STRING,
                            "127.0.0.1",
                            new ConfigDef.NonEmptyString(),
                            Importance.MEDIUM,
                            "Address the HTTP endpoint binds: 127.0.0.1 (the default) answers only on this machine; set "
                                    + "0.0.0.0 for every interface (containers, other hosts) and protect it: see the "
                                    + "SCISSOR_HTTP_TOKEN environment variable and the README's Security section.")
                    .define(
                            HTTP_ADVERTISED_HOST,
                            Type.STRING,
                            "",
                            (name, value) -> {
                                final String v = value == null ? "" : value.toString();
                                if (v.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
                                    throw new ConfigException(
                                            name,
                                            value,
                                            "must be a host name or address, without " + "scheme, path or spaces");
                                }
                            },
                            Importance.MEDIUM,
                            "Host name other instances (and clients) reach this instance's HTTP endpoint at; with the "
                                    + "port it sets Kafka Streams' application.server (host:port), unless that is set "
                                    + "explicitly. Empty = the bind address (" + HTTP_BIND + ") when it is one address "
                                    + "(127.0.0.1 by default, so instances on one machine reach each other), else this "
                                    + "machine's host name.")
                    .define(
                            ROCKSDB_BLOCK_CACHE_BYTES,
                            Type.LONG,
                            DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES,
                            Range.atLeast(1L << 20),
                            Importance.MEDIUM,
                            "Off-heap bytes of the one RocksDB block cache shared by every state store of the process "
                                    + "(all tasks, active and standby), which also holds the memtables (see "
                                    + "BoundedRocksDBMemory); RocksDB's memory stays about this size however many partitions "
                                    + "the instance holds. Ignored when rocksdb.config.setter is set explicitly.")
                    .define(
                            ROCKSDB_WRITE_BUFFER_BYTES,
                            Type.LONG,
                            DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES,
                            Range.atLeast(1L << 20),
                            Importance.MEDIUM,
                            "Bytes of memtables (write buffers) all stores of the process may hold together, charged to "
                                    + "the block cache (" + ROCKSDB_BLOCK_CACHE_BYTES + "), at most its size; a store "
                                    + "flushes when the total is reached."),
            HTTP_PREFIX);

    private final ScissorParams params;

    /**
     * Parses and validates a configuration.
     *
     * @param originals the settings: {@code scissor.*} keys and Kafka Streams keys
     * @throws ConfigException for an invalid or inconsistent value, naming the key
     */
    public CompressorConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        if (getInt(HOP_FRAMES) > getInt(WINDOW_FRAMES)) {
            throw new ConfigException(
                    HOP_FRAMES,
                    getInt(HOP_FRAMES),
                    "the hop must not exceed the window length " + WINDOW_FRAMES + "=" + getInt(WINDOW_FRAMES)
                            + ", or frames would be skipped");
        }
        if (getInt(BUDGET_TOKENS) > 0 && getDouble(RETENTION) > 0.0) {
            throw new ConfigException(
                    RETENTION, getDouble(RETENTION), "set either " + BUDGET_TOKENS + " or " + RETENTION + ", not both");
        }
        final ScissorParams.Budget budget = getInt(BUDGET_TOKENS) > 0
                ? ScissorParams.Budget.tokens(getInt(BUDGET_TOKENS))
                : getDouble(RETENTION) > 0.0 ? ScissorParams.Budget.retention(getDouble(RETENTION)) : null;
        final ScissorParams.Mode mode = ScissorParams.Mode.parse(getString(MODE));
        if (mode == ScissorParams.Mode.REFINED && budget == null) {
            throw new ConfigException(
                    MODE, getString(MODE), "refined mode needs " + BUDGET_TOKENS + " or " + RETENTION);
        }
        if (getLong(ROCKSDB_WRITE_BUFFER_BYTES) > getLong(ROCKSDB_BLOCK_CACHE_BYTES)) {
            throw new ConfigException(
                    ROCKSDB_WRITE_BUFFER_BYTES,
                    getLong(ROCKSDB_WRITE_BUFFER_BYTES),
                    "the write buffers are charged to the block cache and must not exceed " + ROCKSDB_BLOCK_CACHE_BYTES
                            + "=" + getLong(ROCKSDB_BLOCK_CACHE_BYTES));
        }
        this.params = new ScissorParams(getDouble(TAU), getDouble(EPSILON), budget, getLong(SEED), false, mode);
        for (final String topic : new String[] {TOKENS_TOPIC, WINDOWS_TOPIC, DLQ_TOPIC}) {
            for (final String other : new String[] {TOKENS_TOPIC, WINDOWS_TOPIC, DLQ_TOPIC}) {
                if (!topic.equals(other) && getString(topic).equals(getString(other))) {
                    throw new ConfigException(topic, getString(topic), "must differ from " + other);
                }
            }
        }
        for (final Object key : originals.keySet()) {
            final String name = String.valueOf(key);
            if (name.startsWith(PREFIX) && !DEFINITION.names().contains(name)) {
                throw new ConfigException(
                        name,
                        originals.get(key),
                        "unknown Scissor setting; known keys: "
                                + String.join(", ", new java.util.TreeSet<>(DEFINITION.names())));
            }
        }
    }

    /** The compression parameters (tau, epsilon, budget, seed, mode). */
    public ScissorParams params() {
        return params;
    }

    /** The input topic. */
    public String tokensTopic() {
        return getString(TOKENS_TOPIC);
    }

    /** The output topic. */
    public String windowsTopic() {
        return getString(WINDOWS_TOPIC);
    }

    /** The dead-letter topic. */
    public String dlqTopic() {
        return getString(DLQ_TOPIC);
    }

    /** W. */
    public int windowFrames() {
        return getInt(WINDOW_FRAMES);
    }

    /** H. */
    public int hopFrames() {
        return getInt(HOP_FRAMES);
    }

    /** Hop-only or event-driven emits. */
    public EmitMode emitMode() {
        return EmitMode.valueOf(getString(EMIT_MODE).toUpperCase(Locale.ROOT));
    }

    /** Novelty at which the scene counts as changed (event mode). */
    public double sceneChangeThreshold() {
        return getDouble(SCENE_CHANGE_THRESHOLD);
    }

    /** Fewest frames of an early window (event mode). */
    public int sceneChangeMinFrames() {
        return getInt(SCENE_CHANGE_MIN_FRAMES);
    }

    /** Reordering grace in frames. */
    public int graceFrames() {
        return getInt(GRACE_FRAMES);
    }

    /** Largest accepted grid height * width. */
    public int maxTokensPerFrame() {
        return getInt(MAX_TOKENS_PER_FRAME);
    }

    /** Largest accepted token dimension. */
    public int maxTokenDim() {
        return getInt(MAX_TOKEN_DIM);
    }

    /**
     * The element type of emitted window tokens.
     *
     * @param streamDtype the dtype of the stream's frames
     * @return {@value #WINDOWS_DTYPE} when set to float32 or float16, else {@code streamDtype}
     */
    public TokenDtype windowsDtype(final TokenDtype streamDtype) {
        return switch (getString(WINDOWS_DTYPE)) {
            case "float32" -> TokenDtype.FLOAT32;
            case "float16" -> TokenDtype.FLOAT16;
            default -> streamDtype;
        };
    }

    /** The HTTP endpoint's port: 0 = any free port, -1 = none. */
    public int httpPort() {
        return getInt(HTTP_PORT);
    }

    /** The HTTP endpoint's limits ({@value #HTTP_PREFIX}{@code *}). */
    public HttpLimits httpLimits() {
        return HttpLimits.from(this, HTTP_PREFIX, HTTP_MAX_BODY_BYTES);
    }

    /** The address the HTTP endpoint binds ({@value #HTTP_BIND}). */
    public String httpBind() {
        return getString(HTTP_BIND).strip();
    }

    /**
     * The host other instances reach this one at: {@value #HTTP_ADVERTISED_HOST}, else the bind
     * address when it is one IPv4 address or host name, else the local host name.
     */
    public String advertisedHost() {
        final String host = getString(HTTP_ADVERTISED_HOST).strip();
        if (!host.isEmpty()) {
            return host;
        }
        final String bind = httpBind();
        if (!bind.equals("0.0.0.0") && !bind.contains(":")) {
            return bind;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (final java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /**
     * The {@code application.server} of this instance: the explicit Kafka Streams setting if any,
     * else the advertised host and the given port.
     *
     * @param boundPort the port the HTTP endpoint is bound to (its configured one, or the one picked for 0)
     * @return {@code host:port}
     */
    public String applicationServer(final int boundPort) {
        final Object explicit = originals().get(StreamsConfig.APPLICATION_SERVER_CONFIG);
        if (explicit != null && !explicit.toString().isBlank()) {
            return explicit.toString().strip();
        }
        return advertisedHost() + ":" + boundPort;
    }

    /**
     * The Kafka Streams properties: every non-{@code scissor.} original, with the compressor's
     * defaults for {@code application.id}, {@code processing.guarantee}, the producer's {@code
     * transaction.timeout.ms} in refined mode ({@value #REFINED_TRANSACTION_TIMEOUT_MS}, unless {@code
     * transaction.timeout.ms} or {@code producer.transaction.timeout.ms} is set), {@code rocksdb.config.setter}
     * ({@link BoundedRocksDBMemory}, given {@value #ROCKSDB_BLOCK_CACHE_BYTES} and {@value
     * #ROCKSDB_WRITE_BUFFER_BYTES}) and the producer's {@code
     * max.request.size} (frames and windows are larger than Kafka's default 1 MB), and {@code
     * application.server} from {@value #HTTP_ADVERTISED_HOST} and {@value #HTTP_PORT} when the port is
     * fixed (above 0; for port 0 {@link CompressorApp} sets it to the bound port).
     *
     * @return new properties
     */
    public Properties streamsProperties() {
        final Map<String, Object> kafka = new HashMap<>();
        kafka.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        kafka.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        kafka.put("processing.exception.handler.global.enabled", true); // Kafka 5.0's default; quiets a warning
        kafka.put(
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                CompressorTopology.MAX_MESSAGE_BYTES);
        if (params.mode() == ScissorParams.Mode.REFINED
                && !originals().containsKey(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)) {
            kafka.put(
                    StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                    REFINED_TRANSACTION_TIMEOUT_MS);
        }
        kafka.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDBMemory.class.getName());
        kafka.put(ROCKSDB_BLOCK_CACHE_BYTES, getLong(ROCKSDB_BLOCK_CACHE_BYTES));
        kafka.put(ROCKSDB_WRITE_BUFFER_BYTES, getLong(ROCKSDB_WRITE_BUFFER_BYTES));
        if (httpPort() > 0) {
            kafka.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer(httpPort()));
        }
        originals().forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                kafka.put(k, v);
            }
        });
        final Properties props = new Properties();
        props.putAll(kafka);
        return props;
    }

    /** The documentation of every key as text, one key a line (for {@code --help}). */
    public static String describe() {
        return ConfigDocs.describe(DEFINITION);
    }
}
