package dev.scissor.pipeline;

import dev.scissor.encoder.capture.CaptureOptions;
import dev.scissor.encoder.capture.ReconnectPolicy;
import dev.scissor.encoder.media.FfmpegJpegEncoder;
import dev.scissor.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the capture stage, declared once in {@link #DEFINITION}.
 *
 * <p>Keys starting with {@code scissor.capture.} are the stage's own; every other key is passed to
 * the Kafka producer unchanged ({@link #producerProperties()}), where the stage changes only the
 * defaults it needs: an idempotent producer ({@code enable.idempotence=true}, {@code acks=all}),
 * {@code linger.ms=5}, no compression (JPEG is compressed already) and {@code max.request.size}
 * 8 MiB. Invalid values fail at construction with a {@link ConfigException} that names the key.
 */
public final class CaptureConfig extends AbstractConfig {

    /** Prefix of the stage's own keys. */
    public static final String PREFIX = "scissor.capture.";

    public static final String FRAMES_TOPIC = "scissor.capture.topic.frames";
    public static final String FPS = "scissor.capture.fps";
    public static final String MAX_WIDTH = "scissor.capture.max.width";
    public static final String MAX_HEIGHT = "scissor.capture.max.height";
    public static final String JPEG_QSCALE = "scissor.capture.jpeg.qscale";
    public static final String REALTIME = "scissor.capture.realtime";
    public static final String OPEN_TIMEOUT_MS = "scissor.capture.open.timeout.ms";
    public static final String READ_TIMEOUT_MS = "scissor.capture.read.timeout.ms";
    public static final String BACKOFF_MS = "scissor.capture.reconnect.backoff.ms";
    public static final String BACKOFF_MAX_MS = "scissor.capture.reconnect.backoff.max.ms";
    public static final String BACKOFF_JITTER = "scissor.capture.reconnect.jitter";
    public static final String MAX_ATTEMPTS = "scissor.capture.reconnect.max.attempts";
    public static final String FIRST_SEQUENCE = "scissor.capture.first.sequence";
    public static final String DECODER_THREADS = "scissor.capture.decoder.threads";
    public static final String METRICS_PORT = "scissor.capture.metrics.port";
    public static final String METRICS_BIND = "scissor.capture.metrics.bind";

    /** Largest request the producer sends by default (a 4K JPEG fits). */
    public static final int MAX_REQUEST_BYTES = 8 << 20;

    /** Every key, its type, default, validator and documentation. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    FRAMES_TOPIC,
                    Type.STRING,
                    Topics.FRAMES,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Output topic of VideoFrame records (JPEG), keyed by stream id.")
            .define(
                    FPS,
                    Type.DOUBLE,
                    2.0,
                    Range.between(0.0, 1000.0),
                    Importance.HIGH,
                    "Sampling rate in frames per second, on the source's timestamps (video LLMs sample 1-2 fps). "
                            + "0 = every frame.")
            .define(
                    MAX_WIDTH,
                    Type.INT,
                    640,
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "Frames wider than this are scaled down while decoding, keeping the aspect ratio. 0 = no limit.")
            .define(
                    MAX_HEIGHT,
                    Type.INT,
                    640,
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "Frames taller than this are scaled down while decoding, keeping the aspect ratio. 0 = no limit.")
            .define(
                    JPEG_QSCALE,
                    Type.INT,
                    FfmpegJpegEncoder.DEFAULT_QSCALE,
                    Range.between(2, 31),
                    Importance.MEDIUM,
                    "JPEG quantiser scale of FFmpeg's mjpeg encoder: 2 = best and largest, 31 = worst and smallest.")
            .define(
                    REALTIME,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Files and lavfi sources: deliver frames no faster than their media time (like ffmpeg -re), "
                            + "so a file behaves like a camera. false = as fast as they decode (their frames are "
                            + "stamped ahead of the clock; see " + FIRST_SEQUENCE + ").")
            .define(
                    DECODER_THREADS,
                    Type.INT,
                    1,
                    Range.atLeast(0),
                    Importance.LOW,
                    "FFmpeg decoder threads per source. 1 = the least CPU per frame, best for many cameras; 0 = "
                            + "FFmpeg chooses (lower latency for a few HD streams, more CPU per frame).")
            .define(
                    OPEN_TIMEOUT_MS,
                    Type.LONG,
                    10_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "How long one connection attempt may take; for rtsp-listen:// how long to wait for a pusher "
                            + "before listening again.")
            .define(
                    READ_TIMEOUT_MS,
                    Type.LONG,
                    5_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "How long a network read may block before the connection counts as dropped.")
            .define(
                    BACKOFF_MS,
                    Type.LONG,
                    500L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "Wait before the first reconnect attempt of a live source; doubles per failed attempt.")
            .define(
                    BACKOFF_MAX_MS,
                    Type.LONG,
                    30_000L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "Longest wait between reconnect attempts.")
            .define(
                    BACKOFF_JITTER,
                    Type.DOUBLE,
                    0.5,
                    Range.between(0.0, 1.0),
                    Importance.LOW,
                    "Fraction by which each reconnect wait is shortened at random, so cameras that dropped "
                            + "together do not reconnect in lock step.")
            .define(
                    MAX_ATTEMPTS,
                    Type.INT,
                    -1,
                    Range.atLeast(-1),
                    Importance.LOW,
                    "Failed connection attempts in a row after which a live source gives up (its thread ends "
                            + "with an error). -1 = never.")
            .define(
                    FIRST_SEQUENCE,
                    Type.LONG,
                    0L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "Lowest sequence number. Numbers are the capture time in sampling periods since the epoch "
                            + "(at 2 fps: half-seconds), so they keep increasing across reconnects and restarts; "
                            + "set this above the last number only to restart a stream whose frames were stamped "
                            + "ahead of the clock (a file read with realtime=false) or whose rate was lowered.")
            .define(
                    METRICS_PORT,
                    Type.INT,
                    9401,
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

    /**
     * Parses and validates a configuration.
     *
     * @param originals {@code scissor.capture.*} keys and Kafka producer keys
     * @throws ConfigException for an invalid value, naming the key
     */
    public CaptureConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        if (getLong(BACKOFF_MAX_MS) < getLong(BACKOFF_MS)) {
            throw new ConfigException(
                    BACKOFF_MAX_MS,
                    getLong(BACKOFF_MAX_MS),
                    "must be at least " + BACKOFF_MS + "=" + getLong(BACKOFF_MS));
        }
        for (final Object key : originals.keySet()) {
            final String name = String.valueOf(key);
            if (name.startsWith(PREFIX) && !DEFINITION.names().contains(name)) {
                throw new ConfigException(
                        name,
                        originals.get(key),
                        "unknown capture setting; known keys: " + String.join(", ", new TreeSet<>(DEFINITION.names())));
            }
        }
    }

    /** Address the metrics endpoint binds. */
    public String metricsBind() {
        return getString(METRICS_BIND).strip();
    }

    /** Port of the metrics endpoint: 0 = any free port, -1 = none. */
    public int metricsPort() {
        return getInt(METRICS_PORT);
    }

    /** The output topic. */
    public String framesTopic() {
        return getString(FRAMES_TOPIC);
    }

    /** The sampling, size and timeout options of every source. */
    public CaptureOptions captureOptions() {
        return new CaptureOptions(
                getDouble(FPS),
                getInt(MAX_WIDTH),
                getInt(MAX_HEIGHT),
                getBoolean(REALTIME),
                Duration.ofMillis(getLong(OPEN_TIMEOUT_MS)),
                Duration.ofMillis(getLong(READ_TIMEOUT_MS)),
                getInt(DECODER_THREADS));
    }

    /** How live sources reconnect. */
    public ReconnectPolicy reconnectPolicy() {
        return new ReconnectPolicy(
                Duration.ofMillis(getLong(BACKOFF_MS)),
                Duration.ofMillis(getLong(BACKOFF_MAX_MS)),
                2.0,
                getDouble(BACKOFF_JITTER),
                getInt(MAX_ATTEMPTS));
    }

    /** The JPEG quantiser scale. */
    public int jpegQscale() {
        return getInt(JPEG_QSCALE);
    }

    /** The sampling rate. */
    public double fps() {
        return getDouble(FPS);
    }

    /** The lowest sequence number. */
    public long firstSequence() {
        return getLong(FIRST_SEQUENCE);
    }

    /**
     * The producer properties: every non-{@code scissor.capture.} original over the stage's defaults.
     *
     * @return new properties (without serializers; the stage sets them)
     */
    public Properties producerProperties() {
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "scissor-capture");
        originals().forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                p.put(k, v);
            }
        });
        final Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /** The documentation of every key as text, one key a line (for {@code --describe-config}). */
    public static String describe() {
        return dev.scissor.kafka.ConfigDocs.describe(DEFINITION);
    }
}
