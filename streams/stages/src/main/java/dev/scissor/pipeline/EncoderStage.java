package dev.scissor.pipeline;

import ai.onnxruntime.OrtException;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageDecodeException;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.model.ModelUnavailableException;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.DeadLetters.Reason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.VideoFrame;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoder stage: consumes {@link VideoFrame}s, decodes their images (JPEG, PNG or raw BGR24),
 * preprocesses them straight from the decoder's native buffer into a direct batch buffer (resize,
 * normalise, NCHW), encodes batches of up to {@code batch.max} frames from any streams with ONNX
 * Runtime, and produces one {@link FrameTokens} per frame (grid {@code [H*W, C]} row-major, the
 * model's id in {@code modelId}), keyed by stream id, to the tokens topic.
 *
 * <p><b>Dead letters.</b> A record that cannot be encoded goes to the dead-letter topic unchanged,
 * with the {@link DeadLetters} headers (stage {@value #STAGE}) plus {@value #IMAGE_PROBLEM_HEADER}
 * for image problems, and the stream goes on: a null value or bytes that are not a VideoFrame
 * ({@code UNDECODABLE}), an unknown schema ({@code UNKNOWN_SCHEMA}), a key that is not the stream
 * id ({@code KEY_MISMATCH}), an unknown pixel format ({@code UNDECODABLE}, {@code
 * UNSUPPORTED_FORMAT}), a corrupt image ({@code CORRUPT_IMAGE}, {@code CORRUPT}), an image over the
 * byte or pixel limit, checked from its header before decoding ({@code IMAGE_TOO_LARGE}, {@code
 * TOO_LARGE}), raw pixels of the wrong length ({@code INVALID_SHAPE}, {@code SIZE_MISMATCH}).
 *
 * <p><b>Exactly once</b> (the default): the tokens, the dead letters and the consumed offsets of a
 * batch are committed in one Kafka transaction ({@code sendOffsetsToTransaction} with the
 * consumer's group metadata), so a {@code read_committed} reader sees every frame's tokens once,
 * even across crashes and rebalances. Offsets are committed only when no frame is waiting in a
 * partial batch. When partitions are revoked, the batch is encoded and committed first; when they
 * are lost, the open transaction is aborted. A transaction that fails for a reason that can pass
 * is aborted and the uncommitted frames are read again; a fenced producer or a model failure stops
 * the stage ({@link #failure()}), for a supervisor to restart. With {@code exactly.once=false} the
 * stage flushes the producer and then commits the offsets: at least once.
 *
 * <p>All Kafka and model work happens on the stage's own thread ({@link #start()}); the counters
 * may be read from any thread.
 */
public final class EncoderStage implements AutoCloseable {

    /** The {@code scissor.dlq.stage} value of this stage's dead letters. */
    public static final String STAGE = "encoder";
    /** Extra dead-letter header: the kind of image problem ({@link ImageDecodeException.Kind}). */
    public static final String IMAGE_PROBLEM_HEADER = "scissor.dlq.image.problem";

    private static final Logger LOG = LoggerFactory.getLogger(EncoderStage.class);

    /** Life cycle. */
    public enum State {
        /** Created. */
        CREATED,
        /** Polling and encoding. */
        RUNNING,
        /** Closed. */
        STOPPED,
        /** Stopped by an error, see {@link #failure()}. */
        FAILED
    }

    private final EncoderConfig config;
    private final EncoderModelDescriptor descriptor;
    private final TokenDtype dtype;
    private final OnnxVisionEncoder encoder;
    private final boolean ownsEncoder;
    private final ImagePreprocessor preprocessor;
    private final FloatBuffer batch;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final EncoderCounters counters = new EncoderCounters();
    private volatile Map<MetricName, ? extends Metric> consumerMetrics = Map.of();
    private final List<Metrics.KafkaBinding> clientBindings = new ArrayList<>(); // guarded by this
    private Metrics clientMetrics; // guarded by this
    private boolean clientsClosed; // guarded by this
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;
    private FfmpegImageDecoder decoder;
    private EncoderLoop loop;
    private Thread thread;
    private volatile boolean stopRequested;
    private volatile State state = State.CREATED;
    private volatile Throwable failure;

    /**
     * Creates the stage, loading the configured model (a built-in one is obtained and cached by
     * {@link ModelStore#fromEnvironment()} on first use).
     *
     * @param config the configuration
     * @throws ModelUnavailableException if a built-in model cannot be obtained
     * @throws OrtException if ONNX Runtime cannot load the model
     */
    public EncoderStage(final EncoderConfig config) throws ModelUnavailableException, OrtException {
        this(config, openModel(config), true);
    }

    /** Opens the model on a large-stack thread (see {@link LargeStack}). */
    private static OnnxVisionEncoder openModel(final EncoderConfig config)
            throws ModelUnavailableException, OrtException {
        try {
            return LargeStack.call(
                    "scissor-model-loader",
                    () -> OnnxVisionEncoder.open(
                            config.descriptor(), ModelStore.fromEnvironment(), config.encoderOptions()));
        } catch (final ModelUnavailableException | OrtException | RuntimeException e) {
            throw e;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the model", e);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot load the model: " + e.getMessage(), e);
        }
    }

    /**
     * Creates the stage around an open encoder, which it does not close (for tests and benchmarks
     * that share one model); the configured model setting is ignored.
     *
     * @param config the configuration
     * @param encoder the encoder
     */
    public EncoderStage(final EncoderConfig config, final OnnxVisionEncoder encoder) {
        this(config, encoder, false);
    }

    private EncoderStage(final EncoderConfig config, final OnnxVisionEncoder encoder, final boolean owns) {
        AvroTrust.trustGeneratedClasses();
        this.config = Objects.requireNonNull(config, "config");
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.ownsEncoder = owns;
        this.descriptor = encoder.descriptor();
        this.dtype = config.tokensDtype(descriptor);
        this.preprocessor = ImagePreprocessor.forDescriptor(descriptor);
        this.batch = preprocessor.allocate(config.batchMax());
    }

    /**
     * Connects the clients and starts the stage's thread.
     *
     * @throws IllegalStateException if already started
     */
    public synchronized void start() {
        if (state != State.CREATED) {
            throw new IllegalStateException("encoder stage already started");
        }
        consumer = new KafkaConsumer<>(
                config.consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        producer =
                new KafkaProducer<>(config.producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
        consumerMetrics = consumer.metrics(); // a live view of the client's metric registry, safe to read anywhere
        if (clientMetrics != null) {
            bindClients();
        }
        decoder = new FfmpegImageDecoder(config.maxImagePixels(), config.maxImageBytes());
        loop = new EncoderLoop(
                config,
                encoder,
                dtype,
                preprocessor,
                batch,
                counters,
                consumer,
                producer,
                decoder,
                () -> stopRequested);
        state = State.RUNNING;
        thread = LargeStack.newThread("scissor-encoder", this::run);
        thread.start();
    }

    private void run() {
        try {
            loop.run();
            state = State.STOPPED;
        } catch (final Throwable e) {
            failure = e;
            state = State.FAILED;
            LOG.error("encoder stage failed; stopping (restart it to resume from the committed offsets)", e);
            try {
                loop.abortQuietly();
            } catch (final RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
        } finally {
            closeClients();
            stopped.countDown();
        }
    }

    private void closeClients() {
        synchronized (this) {
            clientsClosed = true;
            clientBindings.forEach(Metrics.KafkaBinding::close);
            clientBindings.clear();
        }
        if (consumer != null) {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
            } catch (final RuntimeException e) {
                LOG.debug("closing the consumer failed", e);
            }
        }
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(10));
            } catch (final RuntimeException e) {
                LOG.debug("closing the producer failed", e);
            }
        }
        if (decoder != null) {
            decoder.close();
        }
        if (ownsEncoder) {
            try {
                encoder.close();
            } catch (final OrtException e) {
                LOG.debug("closing the encoder failed", e);
            }
        }
    }

    /**
     * Waits until the stage stops (closed, or failed).
     *
     * @param timeout how long to wait
     * @return whether it stopped
     * @throws InterruptedException if interrupted
     */
    public boolean awaitStop(final Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The state. */
    public State state() {
        return state;
    }

    /** What stopped the stage, or {@code null}. */
    public Throwable failure() {
        return failure;
    }

    /** The element type of the tokens this stage writes ({@value EncoderConfig#TOKENS_DTYPE}). */
    public TokenDtype tokensDtype() {
        return dtype;
    }

    /** The encoder's descriptor. */
    public EncoderModelDescriptor descriptor() {
        return descriptor;
    }

    /** The execution provider of the model ({@code CPU} or {@code CUDA}). */
    public String executionProvider() {
        return encoder.executionProvider();
    }

    /** Records consumed (including dead letters and frames read again after an abort). */
    public long framesIn() {
        return counters.framesIn.get();
    }

    /** FrameTokens records sent (committed or not yet). */
    public long tokensOut() {
        return counters.tokensOut.get();
    }

    /** Dead letters sent. */
    public long deadLetters() {
        return counters.deadLetters.get();
    }

    /**
     * Dead letters sent with a reason.
     *
     * @param reason the reason
     * @return the count
     */
    public long deadLetters(final Reason reason) {
        return counters.deadLettersByReason[reason.ordinal()].sum();
    }

    /**
     * The consumer's lag on each assigned partition of the frames topic (Kafka's {@code records-lag}
     * client metric; partitions not fetched yet are left out).
     *
     * @return lag in records by partition
     */
    public Map<Integer, Double> consumerLag() {
        final Map<Integer, Double> out = new HashMap<>();
        for (final Metric m : consumerMetrics.values()) {
            final Map<String, String> tags = m.metricName().tags();
            if (m.metricName().name().equals("records-lag")
                    && m.metricName().group().equals("consumer-fetch-manager-metrics")
                    && config.framesTopic().equals(tags.get("topic"))
                    && tags.containsKey("partition")
                    && m.metricValue() instanceof Number n
                    && !Double.isNaN(n.doubleValue())) {
                out.put(Integer.parseInt(tags.get("partition")), n.doubleValue());
            }
        }
        return out;
    }

    /** The input topic. */
    public String framesTopic() {
        return config.framesTopic();
    }

    /**
     * Registers this stage's metrics ({@code scissor_encoder_*}) and binds its clients' own metrics
     * ({@code kafka_consumer_*}, {@code kafka_producer_*}); for several workers in one process use
     * {@link EncoderWorkers#registerMetrics}. Call it once.
     *
     * @param metrics the registry
     * @return this stage
     */
    public EncoderStage registerMetrics(final Metrics metrics) {
        EncoderMetrics.register(metrics, List.of(this), config.framesTopic());
        return this;
    }

    /**
     * Binds the clients' metrics to a registry: now if they are open, else when {@link #start()}
     * opens them; the bindings close with the clients.
     *
     * @param metrics the registry
     * @throws IllegalStateException if bound already
     */
    synchronized void bindClientMetrics(final Metrics metrics) {
        if (clientMetrics != null) {
            throw new IllegalStateException("encoder stage client metrics already bound");
        }
        clientMetrics = metrics;
        if (consumer != null) {
            bindClients();
        }
    }

    private synchronized void bindClients() {
        if (!clientsClosed) {
            clientBindings.add(clientMetrics.bindKafka(consumer));
            clientBindings.add(clientMetrics.bindKafka(producer));
        }
    }

    /** Model runs. */
    public long batches() {
        return counters.batches.get();
    }

    /** Time in model runs, nanoseconds. */
    public long encodeNanos() {
        return counters.encodeNanos.get();
    }

    /** Time deserialising, decoding and preprocessing, nanoseconds. */
    public long prepareNanos() {
        return counters.prepareNanos.get();
    }

    /** Transactions aborted after an error. */
    public long aborts() {
        return counters.aborts.get();
    }

    /**
     * Stops the stage: encodes and commits what it holds, then closes the clients (and the model if
     * the stage opened it). Idempotent; waits up to 30 s for the thread.
     */
    @Override
    public void close() {
        stopRequested = true;
        final Thread t;
        synchronized (this) {
            t = thread;
            if (state == State.CREATED) {
                state = State.STOPPED;
                stopped.countDown();
                if (ownsEncoder) {
                    try {
                        encoder.close();
                    } catch (final OrtException e) {
                        LOG.debug("closing the encoder failed", e);
                    }
                }
                return;
            }
        }
        if (consumer != null) {
            consumer.wakeup();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(30_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
