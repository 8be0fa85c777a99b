package dev.scissor.pipeline;

import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.schemas.Topics;
import dev.scissor.schemas.avro.TokenDtype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the encoder stage, declared once in {@link #DEFINITION}.
 *
 * <p>Keys starting with {@code scissor.encoder.} are the stage's own. Other keys go to the Kafka
 * clients: a key prefixed {@code consumer.} or {@code producer.} goes to that client only, with the
 * prefix removed; an unprefixed key goes to each client that knows it (so {@code bootstrap.servers}
 * reaches both). The stage's client defaults: consumer group {@value #DEFAULT_GROUP_ID}, {@code
 * read_committed}, no auto-commit, {@code auto.offset.reset=earliest}; a transactional producer
 * (exactly once) or an idempotent one (at least once) with {@code max.request.size} 64 MiB.
 */
public final class EncoderConfig extends AbstractConfig {

    /** Prefix of the stage's own keys. */
    public static final String PREFIX = "scissor.encoder.";
    /** Default consumer group (and transactional id prefix). */
    public static final String DEFAULT_GROUP_ID = "scissor-encoder";
    /** Largest record the producer sends by default (a SigLIP frame of 729 x 1152 floats is 3.4 MB). */
    public static final int MAX_REQUEST_BYTES = 64 << 20;

    public static final String FRAMES_TOPIC = "scissor.encoder.topic.frames";
    public static final String TOKENS_TOPIC = "scissor.encoder.topic.tokens";
    public static final String DLQ_TOPIC = "scissor.encoder.topic.dlq";
    public static final String MODEL = "scissor.encoder.model";
    public static final String DEVICE = "scissor.encoder.device";
    public static final String THREADS = "scissor.encoder.threads";
    public static final String BATCH_MAX = "scissor.encoder.batch.max";
    public static final String BATCH_LINGER_MS = "scissor.encoder.batch.linger.ms";
    public static final String COMMIT_INTERVAL_MS = "scissor.encoder.commit.interval.ms";
    public static final String MAX_IMAGE_BYTES = "scissor.encoder.max.image.bytes";
    public static final String MAX_IMAGE_PIXELS = "scissor.encoder.max.image.pixels";
    public static final String EXACTLY_ONCE = "scissor.encoder.exactly.once";
    public static final String INSTANCE_ID = "scissor.encoder.instance.id";
    public static final String METRICS_PORT = "scissor.encoder.metrics.port";
    public static final String METRICS_BIND = "scissor.encoder.metrics.bind";
    /** The element type of the tokens written, shared by name with the exporter's descriptors. */
    public static final String TOKENS_DTYPE = "scissor.tokens.dtype";

    /** Every key, its type, default, validator and documentation. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    FRAMES_TOPIC,
                    Type.STRING,
                    Topics.FRAMES,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Input topic of VideoFrame records (jpeg, png or bgr24), keyed by stream id.")
            .define(
                    TOKENS_TOPIC,
                    Type.STRING,
                    Topics.TOKENS,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Output topic of FrameTokens records ([H*W, C] row-major, in " + TOKENS_DTYPE + "), keyed by "
                            + "stream id.")
            .define(
                    DLQ_TOPIC,
                    Type.STRING,
                    Topics.DLQ,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Dead-letter topic: frames that cannot be encoded (undecodable records, corrupt or oversized "
                            + "images), unchanged, with the reason in headers (stage 'encoder').")
            .define(
                    MODEL,
                    Type.STRING,
                    "mnv2-nsfwjs",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "The encoder: a built-in descriptor (mnv2-nsfwjs = 14x14x816, mnv2-nsfwjs-136, mnv3-centernet) "
                            + "an exported model directory (scissor export-encoder: DIR/encoder.properties + model.onnx) "
                            + "or the path of a descriptor file (.properties or .json, see EncoderModelDescriptor).")
            .define(
                    DEVICE,
                    Type.STRING,
                    "auto",
                    ValidString.in("auto", "cpu", "cuda"),
                    Importance.MEDIUM,
                    "Where ONNX Runtime runs: auto (CUDA if the gpu build has it and it works, else CPU), cpu, cuda.")
            .define(
                    THREADS,
                    Type.INT,
                    0,
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "ONNX Runtime intra-op threads; 0 = its default (every core).")
            .define(
                    BATCH_MAX,
                    Type.INT,
                    8,
                    Range.between(1, 256),
                    Importance.MEDIUM,
                    "Most frames, from any streams, encoded in one model run.")
            .define(
                    BATCH_LINGER_MS,
                    Type.LONG,
                    20L,
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "How long a partly filled batch waits for more frames before it is encoded.")
            .define(
                    COMMIT_INTERVAL_MS,
                    Type.LONG,
                    100L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "How often the input offsets are committed (with the output, in one transaction when exactly "
                            + "once).")
            .define(
                    MAX_IMAGE_BYTES,
                    Type.INT,
                    16 << 20,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Larger encoded images are dead letters (INVALID_SHAPE).")
            .define(
                    MAX_IMAGE_PIXELS,
                    Type.LONG,
                    7680L * 4320,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Images declaring more pixels (width * height) are dead letters (INVALID_SHAPE), refused before "
                            + "decoding.")
            .define(
                    EXACTLY_ONCE,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "true: tokens, dead letters and input offsets are committed in one Kafka transaction "
                            + "(read_committed consumers see every frame once). false: at least once (flush, then "
                            + "commit offsets; a crash may repeat frames, which the compressor drops as DUPLICATE "
                            + "or LATE).")
            .define(
                    INSTANCE_ID,
                    Type.STRING,
                    "",
                    Importance.LOW,
                    "Stable id of this instance; the transactional id is <group.id>-<instance id>. Empty = a "
                            + "random id per start. A stable id lets a restarted instance abort its predecessor's "
                            + "open transaction at once instead of after transaction.timeout.ms; give every "
                            + "instance its own.")
            .define(
                    TOKENS_DTYPE,
                    Type.STRING,
                    "",
                    ValidString.in("", "float32", "float16"),
                    Importance.MEDIUM,
                    "Element type of the FrameTokens tensors: float32 or float16 (rounded to nearest even, half the "
                            + "bytes on the broker). Empty = the encoder descriptor's token.dtype (float32 for the "
                            + "built-in encoders, float16 for exported vision towers).")
            .define(
                    METRICS_PORT,
                    Type.INT,
                    9402,
                    Range.between(-1, 65535),
                    Importance.LOW,
                    "HTTP port of GET /metrics (Prometheus text format). 0 = any free port; -1 = no endpoint.")
            .define(
                    METRICS_BIND,
                    Type.STRING,
                    "127.0.0.1",
                    new ConfigDef.NonEmptyString(),
                    Importance.LOW,
                    "Address the metrics endpoint binds: 127.0.0.1 (the default) answers only on this machine; "
                            + "set 0.0.0.0 for every interface (containers, a Prometheus on another host).");

    private final String instanceId;

    /**
     * Parses and validates a configuration.
     *
     * @param originals {@code scissor.encoder.*} keys and Kafka client keys
     * @throws ConfigException for an invalid value, naming the key
     */
    public EncoderConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        for (final Object key : originals.keySet()) {
            final String name = String.valueOf(key);
            if (name.startsWith(PREFIX) && !DEFINITION.names().contains(name)) {
                throw new ConfigException(
                        name,
                        originals.get(key),
                        "unknown encoder setting; known keys: " + String.join(", ", new TreeSet<>(DEFINITION.names())));
            }
        }
        final String[] topics = {FRAMES_TOPIC, TOKENS_TOPIC, DLQ_TOPIC};
        for (final String a : topics) {
            for (final String b : topics) {
                if (!a.equals(b) && getString(a).equals(getString(b))) {
                    throw new ConfigException(a, getString(a), "must differ from " + b);
                }
            }
        }
        final String id = getString(INSTANCE_ID).strip();
        this.instanceId = id.isEmpty() ? UUID.randomUUID().toString() : id;
    }

    /** Address the metrics endpoint binds. */
    public String metricsBind() {
        return getString(METRICS_BIND).strip();
    }

    /** Port of the metrics endpoint: 0 = any free port, -1 = none. */
    public int metricsPort() {
        return getInt(METRICS_PORT);
    }

    /** The input topic. */
    public String framesTopic() {
        return getString(FRAMES_TOPIC);
    }

    /** The output topic. */
    public String tokensTopic() {
        return getString(TOKENS_TOPIC);
    }

    /** The dead-letter topic. */
    public String dlqTopic() {
        return getString(DLQ_TOPIC);
    }

    /** Frames per model run, at most. */
    public int batchMax() {
        return getInt(BATCH_MAX);
    }

    /** How long a partial batch waits. */
    public long batchLingerMs() {
        return getLong(BATCH_LINGER_MS);
    }

    /** How often offsets are committed. */
    public long commitIntervalMs() {
        return getLong(COMMIT_INTERVAL_MS);
    }

    /** Largest encoded image, bytes. */
    public int maxImageBytes() {
        return getInt(MAX_IMAGE_BYTES);
    }

    /** Largest image, pixels. */
    public long maxImagePixels() {
        return getLong(MAX_IMAGE_PIXELS);
    }

    /** Whether output and offsets are committed in transactions. */
    public boolean exactlyOnce() {
        return getBoolean(EXACTLY_ONCE);
    }

    /**
     * The encoder descriptor: a built-in one by name, an exported model directory or a descriptor file.
     *
     * @return the descriptor
     * @throws ConfigException if it is neither a built-in name nor a readable descriptor file
     */
    public EncoderModelDescriptor descriptor() {
        final String m = getString(MODEL).strip();
        try {
            return EncoderModelDescriptor.resolve(m);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read encoder descriptor " + m, e);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(MODEL, m, e.getMessage());
        }
    }

    /**
     * The element type of the tokens the stage writes.
     *
     * @param descriptor the encoder's descriptor, whose {@code token.dtype} is the default
     * @return {@value #TOKENS_DTYPE} when set, else the descriptor's
     */
    public TokenDtype tokensDtype(final EncoderModelDescriptor descriptor) {
        final String dtype = getString(TOKENS_DTYPE);
        if (dtype.isEmpty()) {
            return descriptor.tokenDtype() == EncoderModelDescriptor.TokenDtype.FLOAT16
                    ? TokenDtype.FLOAT16
                    : TokenDtype.FLOAT32;
        }
        return dtype.equals("float16") ? TokenDtype.FLOAT16 : TokenDtype.FLOAT32;
    }

    /** ONNX Runtime session options from the device and thread settings. */
    public OnnxVisionEncoder.Options encoderOptions() {
        final OnnxVisionEncoder.Device device =
                OnnxVisionEncoder.Device.valueOf(getString(DEVICE).toUpperCase(Locale.ROOT));
        return new OnnxVisionEncoder.Options(device, 0, getInt(THREADS), true);
    }

    /** The consumer group. */
    public String groupId() {
        final Object g = consumerProperties().get(ConsumerConfig.GROUP_ID_CONFIG);
        return String.valueOf(g);
    }

    /** The transactional id of this instance: {@code <group.id>-<instance id>}. */
    public String transactionalId() {
        return groupId() + "-" + instanceId;
    }

    /**
     * The consumer properties (without deserializers; the stage reads raw bytes).
     *
     * @return new properties
     */
    public Properties consumerProperties() {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, DEFAULT_GROUP_ID);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 64);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "scissor-encoder-consumer-" + instanceId);
        p.putAll(clientOverrides("consumer.", ConsumerConfig.configNames()));
        final Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /**
     * The producer properties (without serializers; the stage writes raw bytes).
     *
     * @return new properties
     */
    public Properties producerProperties() {
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "scissor-encoder-producer-" + instanceId);
        p.putAll(clientOverrides("producer.", ProducerConfig.configNames()));
        if (exactlyOnce()) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId());
        }
        final Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private Map<String, Object> clientOverrides(final String prefix, final java.util.Set<String> known) {
        final Map<String, Object> out = new HashMap<>();
        originals().forEach((k, v) -> {
            if (!k.startsWith(PREFIX)
                    && !k.startsWith("consumer.")
                    && !k.startsWith("producer.")
                    && known.contains(k)) {
                out.put(k, v);
            }
        });
        originals().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /** The documentation of every key as text, one key a line (for {@code --describe-config}). */
    public static String describe() {
        return dev.scissor.kafka.ConfigDocs.describe(DEFINITION);
    }
}
