package dev.scissor.pipeline;

import ai.onnxruntime.OrtException;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageDecodeException;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.schemas.AvroSingleObjectSerde;
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
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The encoder stage's work on its own thread: poll, decode, batch, encode, produce and commit. */
final class EncoderLoop {

    private static final Logger LOG = LoggerFactory.getLogger(EncoderStage.class);

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
    private final ImagePreprocessor preprocessor;
    private final FloatBuffer batch;
    private final Pending[] pending;
    private final AvroSingleObjectSerde<VideoFrame> frameSerde = ScissorSerdes.videoFrame();
    private final AvroSingleObjectSerde<FrameTokens> tokensSerde = ScissorSerdes.frameTokens();
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    private final EncoderCounters counters;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final FfmpegImageDecoder decoder;
    private final BooleanSupplier stopRequested;
    private int pendingCount;
    private long lingerDeadline;
    private boolean inTransaction;
    private long lastCommitNanos;

    /** The loop over the stage's open clients, filling {@code batch} (sized by {@code preprocessor}). */
    EncoderLoop(
            final EncoderConfig config,
            final OnnxVisionEncoder encoder,
            final TokenDtype dtype,
            final ImagePreprocessor preprocessor,
            final FloatBuffer batch,
            final EncoderCounters counters,
            final KafkaConsumer<byte[], byte[]> consumer,
            final KafkaProducer<byte[], byte[]> producer,
            final FfmpegImageDecoder decoder,
            final BooleanSupplier stopRequested) {
        this.config = config;
        this.encoder = encoder;
        this.descriptor = encoder.descriptor();
        this.dtype = dtype;
        this.preprocessor = preprocessor;
        this.batch = batch;
        this.pending = new Pending[config.batchMax()];
        this.counters = counters;
        this.consumer = consumer;
        this.producer = producer;
        this.decoder = decoder;
        this.stopRequested = stopRequested;
    }

    /** Runs until a stop is requested, then encodes and commits what is waiting; throws what stops it. */
    void run() throws OrtException {
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
        while (!stopRequested.getAsBoolean()) {
            try {
                step();
            } catch (final WakeupException e) {
                if (!stopRequested.getAsBoolean()) {
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
        counters.framesIn.incrementAndGet();
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
            counters.prepareNanos.addAndGet(System.nanoTime() - t0);
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
        final Headers headers = DeadLetters.headers(rec.headers(), reason, detail, EncoderStage.STAGE, metadata(rec));
        if (imageProblem != null) {
            headers.add(EncoderStage.IMAGE_PROBLEM_HEADER, imageProblem.name().getBytes(StandardCharsets.UTF_8));
        }
        beginIfNeeded();
        producer.send(new ProducerRecord<>(config.dlqTopic(), null, rec.timestamp(), rec.key(), rec.value(), headers));
        counters.deadLetters.incrementAndGet();
        counters.deadLettersByReason[reason.ordinal()].increment();
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
        counters.encodeNanos.addAndGet(System.nanoTime() - t0);
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
        counters.tokensOut.addAndGet(n);
        counters.batches.incrementAndGet();
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
        counters.aborts.incrementAndGet();
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

    void abortQuietly() {
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
}
