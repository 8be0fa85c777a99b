package dev.scissor.pipeline;

import ai.onnxruntime.OrtException;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageDecodeException;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.model.ModelUnavailableException;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.DeadLetters.Reason;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.VideoFrame;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
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

    /** A frame waiting in the batch. */
    private record Pending(byte[] key, String streamId, long sequence, long timestamp, long recordTimestamp) {}

    /** A record that cannot be encoded. */
    private static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        private final Reason reason;
        private final ImageDecodeException.Kind imageProblem;

        Rejected(final Reason reason, final String detail) {
            this(reason, detail, null);
        }

        Rejected(final Reason reason, final String detail, final ImageDecodeException.Kind imageProblem) {
            super(detail, null, false, false);
            this.reason = reason;
            this.imageProblem = imageProblem;
        }
    }

    private final EncoderConfig config;
    private final EncoderModelDescriptor descriptor;
    private final TokenDtype dtype;
    private final OnnxVisionEncoder encoder;
    private final boolean ownsEncoder;
    private final ImagePreprocessor preprocessor;
    private final FloatBuffer batch;
    private final Pending[] pending;
    private final AvroSingleObjectSerde<VideoFrame> frameSerde = ScissorSerdes.videoFrame();
    private final AvroSingleObjectSerde<FrameTokens> tokensSerde = ScissorSerdes.frameTokens();
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong framesIn = new AtomicLong();
    private final AtomicLong tokensOut = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong encodeNanos = new AtomicLong();
    private final AtomicLong prepareNanos = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();
    private final LongAdder[] deadLettersByReason = new LongAdder[Reason.values().length];
    private volatile Map<MetricName, ? extends Metric> consumerMetrics = Map.of();
    private final List<Metrics.KafkaBinding> clientBindings = new ArrayList<>(); // guarded by this
    private Metrics clientMetrics; // guarded by this
    private boolean clientsClosed; // guarded by this
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;
    private FfmpegImageDecoder decoder;
    private Thread thread;
    private int pendingCount;
    private long lingerDeadline;
    private boolean inTransaction;
    private long lastCommitNanos;
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
        this.pending = new Pending[config.batchMax()];
        for (int i = 0; i < deadLettersByReason.length; i++) {
            deadLettersByReason[i] = new LongAdder();
        }
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
        state = State.RUNNING;
        thread = LargeStack.newThread("scissor-encoder", this::run);
        thread.start();
    }

    private void run() {
        try {
            if (config.exactlyOnce()) {
                producer.initTransactions();
            }
            consumer.subscribe(List.of(config.framesTopic()), new Rebalance());
            LOG.info(
                    "encoder stage: {} -> {} ({}, dlq {}), model '{}' on {}, batch <= {} frames, linger {} ms, {}",
                    config.framesTopic(),
                    config.tokensTopic(),
                    dtype,
                    config.dlqTopic(),
                    descriptor.id(),
                    encoder.executionProvider(),
                    config.batchMax(),
                    config.batchLingerMs(),
                    config.exactlyOnce() ? "exactly once (" + config.transactionalId() + ")" : "at least once");
            lastCommitNanos = System.nanoTime();
            while (!stopRequested) {
                try {
                    step();
                } catch (final WakeupException e) {
                    if (!stopRequested) {
                        throw e;
                    }
                } catch (final ProducerFencedException
                        | OutOfOrderSequenceException
                        | AuthorizationException
                        | UnsupportedVersionException
                        | FencedInstanceIdException e) {
                    throw e;
                } catch (final KafkaException e) {
                    LOG.warn(
                            "encoder stage: a transaction failed ({}); aborting it and reading its frames again",
                            e.toString());
                    abortAndRewind();
                }
            }
            finish();
            state = State.STOPPED;
        } catch (final Throwable e) {
            failure = e;
            state = State.FAILED;
            LOG.error("encoder stage failed; stopping (restart it to resume from the committed offsets)", e);
            try {
                abortQuietly();
            } catch (final RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
        } finally {
            closeClients();
            stopped.countDown();
        }
    }

    /** One poll: frames into the batch, full or expired batches encoded, offsets committed when due. */
    private void step() throws OrtException {
        final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollTimeoutMs()));
        for (final ConsumerRecord<byte[], byte[]> rec : records) {
            accept(rec);
            offsets.put(new TopicPartition(rec.topic(), rec.partition()), new OffsetAndMetadata(rec.offset() + 1));
            if (pendingCount == pending.length) {
                encodeBatch();
            }
        }
        if (pendingCount > 0 && System.nanoTime() >= lingerDeadline) {
            encodeBatch();
        }
        if (pendingCount == 0
                && !offsets.isEmpty()
                && System.nanoTime() - lastCommitNanos >= TimeUnit.MILLISECONDS.toNanos(config.commitIntervalMs())) {
            commit();
        }
    }

    private long pollTimeoutMs() {
        final long now = System.nanoTime();
        if (pendingCount > 0) {
            return Math.max(0, TimeUnit.NANOSECONDS.toMillis(lingerDeadline - now));
        }
        if (!offsets.isEmpty()) {
            final long due = lastCommitNanos + TimeUnit.MILLISECONDS.toNanos(config.commitIntervalMs());
            return Math.max(0, Math.min(500, TimeUnit.NANOSECONDS.toMillis(due - now)));
        }
        return 500;
    }

    /** Decodes and preprocesses one record into the batch, or writes it to the dead-letter topic. */
    private void accept(final ConsumerRecord<byte[], byte[]> rec) {
        framesIn.incrementAndGet();
        final long t0 = System.nanoTime();
        try {
            final VideoFrame frame = decode(rec);
            final ImageFormat format = ImageFormat.byName(frame.getPixelFormat())
                    .orElseThrow(() -> new Rejected(
                            Reason.UNDECODABLE,
                            "frame " + frame.getSequence() + " of stream "
                                    + frame.getStreamId() + " has pixel format '" + frame.getPixelFormat()
                                    + "'; the encoder reads jpeg, png and bgr24",
                            ImageDecodeException.Kind.UNSUPPORTED_FORMAT));
            final DecodedImage image;
            try {
                image = decoder.decode(format, frame.getImage(), frame.getWidth(), frame.getHeight());
            } catch (final ImageDecodeException e) {
                final Reason reason = switch (e.kind()) {
                    case CORRUPT -> Reason.CORRUPT_IMAGE;
                    case TOO_LARGE -> Reason.IMAGE_TOO_LARGE;
                    case UNSUPPORTED_FORMAT -> Reason.UNDECODABLE;
                    case SIZE_MISMATCH -> Reason.INVALID_SHAPE;
                };
                throw new Rejected(
                        reason,
                        "frame " + frame.getSequence() + " of stream " + frame.getStreamId() + ": " + e.getMessage(),
                        e.kind());
            }
            preprocessor.preprocess(
                    image.pixels(),
                    image.width(),
                    image.height(),
                    image.stride(),
                    ImagePreprocessor.PixelFormat.BGR24,
                    batch,
                    pendingCount);
            if (pendingCount == 0) {
                lingerDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.batchLingerMs());
            }
            pending[pendingCount++] = new Pending(
                    rec.key(), frame.getStreamId(), frame.getSequence(), frame.getTimestamp(), rec.timestamp());
        } catch (final Rejected r) {
            deadLetter(rec, r.reason, r.getMessage(), r.imageProblem);
        } catch (final RuntimeException e) {
            deadLetter(rec, Reason.PROCESSING_ERROR, "the encoder failed on this frame: " + e, null);
        } finally {
            prepareNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    private VideoFrame decode(final ConsumerRecord<byte[], byte[]> rec) throws Rejected {
        final byte[] value = rec.value();
        if (value == null) {
            throw new Rejected(
                    Reason.UNDECODABLE, "the record has no value (a tombstone?); frames carry a " + "VideoFrame");
        }
        final long fingerprint;
        try {
            fingerprint = AvroSingleObjectSerde.fingerprintOf(value);
        } catch (final SerializationException e) {
            throw new Rejected(Reason.UNDECODABLE, e.getMessage());
        }
        if (!frameSerde.knownFingerprints().contains(fingerprint)) {
            throw new Rejected(
                    Reason.UNKNOWN_SCHEMA,
                    String.format(
                            "written with schema fingerprint 0x%016X, which "
                                    + "this encoder does not know as a VideoFrame; upgrade the encoder or check the producer",
                            fingerprint));
        }
        final VideoFrame frame;
        try {
            frame = frameSerde.deserializer().deserialize(rec.topic(), value);
        } catch (final SerializationException e) {
            throw new Rejected(Reason.UNDECODABLE, e.getMessage());
        }
        if (rec.key() == null || !Arrays.equals(rec.key(), frame.getStreamId().getBytes(StandardCharsets.UTF_8))) {
            throw new Rejected(
                    Reason.KEY_MISMATCH,
                    "the record key "
                            + (rec.key() == null
                                    ? "is missing"
                                    : "'" + new String(rec.key(), StandardCharsets.UTF_8) + "'")
                            + " but the frame belongs to stream '" + frame.getStreamId()
                            + "'; producers must key frames by stream id");
        }
        return frame;
    }

    private void deadLetter(
            final ConsumerRecord<byte[], byte[]> rec,
            final Reason reason,
            final String detail,
            final ImageDecodeException.Kind imageProblem) {
        LOG.warn("dead letter ({}) from {}-{}@{}: {}", reason, rec.topic(), rec.partition(), rec.offset(), detail);
        final Headers headers = DeadLetters.headers(rec.headers(), reason, detail, STAGE, metadata(rec));
        if (imageProblem != null) {
            headers.add(IMAGE_PROBLEM_HEADER, imageProblem.name().getBytes(StandardCharsets.UTF_8));
        }
        beginIfNeeded();
        producer.send(new ProducerRecord<>(config.dlqTopic(), null, rec.timestamp(), rec.key(), rec.value(), headers));
        deadLetters.incrementAndGet();
        deadLettersByReason[reason.ordinal()].increment();
    }

    private static DeadLetters.Source metadata(final ConsumerRecord<?, ?> rec) {
        return new DeadLetters.Source(rec.topic(), rec.partition(), rec.offset());
    }

    /** Runs the model on the waiting frames and sends their tokens. */
    private void encodeBatch() throws OrtException {
        if (pendingCount == 0) {
            return;
        }
        final int n = pendingCount;
        final long t0 = System.nanoTime();
        final float[][] tokens = encoder.encode(batch, n);
        encodeNanos.addAndGet(System.nanoTime() - t0);
        beginIfNeeded();
        for (int i = 0; i < n; i++) {
            final Pending p = pending[i];
            final FrameTokens out = FrameTokens.newBuilder()
                    .setStreamId(p.streamId())
                    .setSequence(p.sequence())
                    .setTimestamp(p.timestamp())
                    .setGridHeight(descriptor.gridHeight())
                    .setGridWidth(descriptor.gridWidth())
                    .setTokenDim(descriptor.tokenDim())
                    .setDtype(dtype)
                    .setTensor(TensorBytes.encode(tokens[i], dtype))
                    .setModelId(descriptor.id())
                    .build();
            producer.send(new ProducerRecord<>(
                    config.tokensTopic(),
                    null,
                    p.recordTimestamp(),
                    p.key(),
                    tokensSerde.serializer().serialize(config.tokensTopic(), out)));
            pending[i] = null;
        }
        pendingCount = 0;
        tokensOut.addAndGet(n);
        batches.incrementAndGet();
    }

    private void beginIfNeeded() {
        if (config.exactlyOnce() && !inTransaction) {
            producer.beginTransaction();
            inTransaction = true;
        }
    }

    /** Commits the output and the consumed offsets (the batch must be empty). */
    private void commit() {
        if (offsets.isEmpty()) {
            return;
        }
        if (config.exactlyOnce()) {
            beginIfNeeded();
            producer.sendOffsetsToTransaction(new HashMap<>(offsets), consumer.groupMetadata());
            producer.commitTransaction();
            inTransaction = false;
        } else {
            producer.flush();
            consumer.commitSync(new HashMap<>(offsets));
        }
        offsets.clear();
        lastCommitNanos = System.nanoTime();
    }

    /** Aborts the open transaction, forgets the batch and rewinds to the committed offsets. */
    private void abortAndRewind() {
        aborts.incrementAndGet();
        abortQuietly();
        pendingCount = 0;
        Arrays.fill(pending, null);
        offsets.clear();
        final Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return;
        }
        final Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
        for (final TopicPartition tp : assigned) {
            final OffsetAndMetadata c = committed.get(tp);
            if (c != null) {
                consumer.seek(tp, c);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
    }

    private void abortQuietly() {
        if (inTransaction) {
            inTransaction = false;
            try {
                producer.abortTransaction();
            } catch (final ProducerFencedException e) {
                LOG.debug("cannot abort: fenced", e);
            }
        }
    }

    /** On a clean stop: encode what is waiting and commit it. */
    private void finish() throws OrtException {
        try {
            encodeBatch();
            commit();
        } catch (final KafkaException e) {
            LOG.warn("encoder stage: the last commit failed ({}); its frames will be read again", e.toString());
            abortQuietly();
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

    /** Encodes and commits the batch before partitions go, so their new owner starts after it. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
            if (partitions.isEmpty() || (pendingCount == 0 && offsets.isEmpty())) {
                return;
            }
            try {
                encodeBatch();
                commit();
            } catch (final OrtException | KafkaException e) {
                LOG.warn(
                        "encoder stage: could not commit before a rebalance ({}); the new owner reads those frames "
                                + "again",
                        e.toString());
                abortQuietly();
                pendingCount = 0;
                Arrays.fill(pending, null);
                offsets.clear();
            }
        }

        @Override
        public void onPartitionsLost(final Collection<TopicPartition> partitions) {
            LOG.warn("encoder stage: partitions {} lost; aborting the open transaction", partitions);
            abortQuietly();
            pendingCount = 0;
            Arrays.fill(pending, null);
            offsets.clear();
        }

        @Override
        public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
            LOG.info("encoder stage: assigned {}", partitions);
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
        return framesIn.get();
    }

    /** FrameTokens records sent (committed or not yet). */
    public long tokensOut() {
        return tokensOut.get();
    }

    /** Dead letters sent. */
    public long deadLetters() {
        return deadLetters.get();
    }

    /**
     * Dead letters sent with a reason.
     *
     * @param reason the reason
     * @return the count
     */
    public long deadLetters(final Reason reason) {
        return deadLettersByReason[reason.ordinal()].sum();
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
        return batches.get();
    }

    /** Time in model runs, nanoseconds. */
    public long encodeNanos() {
        return encodeNanos.get();
    }

    /** Time deserialising, decoding and preprocessing, nanoseconds. */
    public long prepareNanos() {
        return prepareNanos.get();
    }

    /** Transactions aborted after an error. */
    public long aborts() {
        return aborts.get();
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
