package dev.scissor.pipeline;

import dev.scissor.encoder.capture.EncodedFrame;
import dev.scissor.encoder.capture.FrameCapture;
import dev.scissor.encoder.capture.FrameSource;
import dev.scissor.encoder.capture.ReconnectingFrameSource;
import dev.scissor.encoder.capture.SequenceNumbers;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.media.FfmpegJpegEncoder;
import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.Topic;
import dev.scissor.schemas.Topics;
import dev.scissor.schemas.avro.VideoFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture stage: many sources in one process, each on its own thread ({@link FrameCapture}),
 * sampled, compressed to JPEG and written as {@link VideoFrame} records to the frames topic, keyed
 * by stream id, through one shared idempotent producer (so a stream's frames stay in order in
 * their partition, and retries never duplicate them).
 *
 * <p>A live source that drops reconnects on its own thread and its sequence numbers go on; a file
 * that ends ends its thread. The stage is done when every source has ended ({@link
 * #awaitSources(Duration)}); {@link #close()} stops the rest, then flushes and closes the
 * producer. A record the producer fails to deliver is counted and logged, and capture goes on (a
 * live stream had better lose a frame than stop); a producer that can no longer send at all stops
 * the captures that use it.
 *
 * <p><b>Delivery guarantee.</b> A frame the broker acknowledged is in the frames topic exactly once
 * (idempotent producer, {@code acks=all}: retries are deduplicated by the broker). A frame that is
 * not acknowledged within {@code delivery.timeout.ms} (120 s by default) is counted as failed
 * ({@code scissor_capture_frames_failed_total}) and not sent again: capture is at most once for
 * frames it could not deliver, as a live stream goes on rather than buffering. A failed frame
 * usually never reached the broker, but one in flight when the connection broke may have been
 * written all the same. While no broker is reachable, the Kafka 4 client drops its metadata and
 * {@code send} waits for it up to {@code max.block.ms} (60 s by default): the capture thread
 * pauses and a live source is not read meanwhile (those frames are never captured, so they are
 * not counted); after that wait the frame fails. Lower {@code max.block.ms} (for example 1000)
 * to keep reading a live source through an outage, counting its frames as failed instead.
 * {@code BrokerRestartIT} stops and restarts the broker under load to check all of this.
 *
 * <pre>{@code
 * try (CaptureStage stage = new CaptureStage(config, List.of(
 *     new CaptureStage.Source("cam1", SourceSpec.parse("rtsp://10.0.0.5/live")),
 *     new CaptureStage.Source("lobby", SourceSpec.parse("/dev/video0"))))) {
 *   stage.start();
 *   stage.awaitSources(Duration.ofDays(365));
 * }
 * }</pre>
 */
public final class CaptureStage implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureStage.class);

    /**
     * One stream to capture.
     *
     * @param streamId the stream id: the record key and {@code VideoFrame.streamId}
     * @param spec where its frames come from
     */
    public record Source(String streamId, SourceSpec spec) {
        // Validates.
        public Source {
            Objects.requireNonNull(spec, "spec");
            if (streamId == null || streamId.isBlank()) {
                throw new IllegalArgumentException("stream id must not be blank");
            }
        }
    }

    /**
     * What one stream has done so far.
     *
     * @param streamId the stream
     * @param source the source, for display
     * @param state its capture state
     * @param frames frames handed to the producer
     * @param lastSequence the last sequence number, or {@link SequenceNumbers#NONE}
     * @param reconnects reconnections so far
     */
    public record StreamStatus(
            String streamId,
            String source,
            FrameCapture.State state,
            long frames,
            long lastSequence,
            long reconnects) {}

    /** Delivery counters of one stream (written by producer callbacks, read when scraped). */
    private static final class Delivery {
        final LongAdder delivered = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder bytes = new LongAdder();
    }

    private final CaptureConfig config;
    private final List<Source> sources;
    private final Producer<String, VideoFrame> producer;
    private final List<FrameCapture> captures = new CopyOnWriteArrayList<>();
    private final Map<String, Delivery> delivery = new HashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failedSends = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Throwable lastSendError;
    private Metrics.KafkaBinding producerMetrics;
    private boolean started;
    private boolean closed;

    /**
     * Creates the stage and its producer; {@link #start()} opens the sources.
     *
     * @param config the configuration (producer settings included)
     * @param sources the streams, with distinct ids
     */
    public CaptureStage(final CaptureConfig config, final List<Source> sources) {
        this(config, sources, newProducer(config));
    }

    CaptureStage(final CaptureConfig config, final List<Source> sources, final Producer<String, VideoFrame> producer) {
        AvroTrust.trustGeneratedClasses();
        this.config = Objects.requireNonNull(config, "config");
        this.sources = List.copyOf(sources);
        this.producer = Objects.requireNonNull(producer, "producer");
        if (this.sources.isEmpty()) {
            throw new IllegalArgumentException("no sources to capture");
        }
        final Set<String> ids = new HashSet<>();
        for (final Source s : this.sources) {
            if (!ids.add(s.streamId())) {
                throw new IllegalArgumentException("stream id '" + s.streamId() + "' is used twice");
            }
            delivery.put(s.streamId(), new Delivery());
        }
    }

    /**
     * Registers the stage's metrics, per stream ({@code stream} label): {@code
     * scissor_capture_frames_captured_total}, {@code scissor_capture_frames_delivered_total}, {@code
     * scissor_capture_frames_failed_total}, {@code scissor_capture_bytes_total}, {@code
     * scissor_capture_reconnects_total} and {@code scissor_capture_stream_state}; and binds the
     * producer's own metrics ({@code kafka_producer_*}), unbound when the stage closes. Call it once.
     *
     * @param metrics the registry
     * @return this stage
     * @throws IllegalStateException if the stage registered its metrics already or is closed
     */
    public synchronized CaptureStage registerMetrics(final Metrics metrics) {
        if (producerMetrics != null || closed) {
            throw new IllegalStateException("capture stage metrics already registered, or the stage is closed");
        }
        for (final Source s : sources) {
            final String id = s.streamId();
            final Delivery d = delivery.get(id);
            metrics.counter(
                    "scissor_capture_frames_captured_total",
                    "Frames sampled, encoded to JPEG and handed to the producer, per stream.",
                    () -> ofCapture(id, FrameCapture::frames),
                    "stream",
                    id);
            metrics.counter(
                    "scissor_capture_frames_delivered_total",
                    "Frames acknowledged by the broker, per stream.",
                    d.delivered::sum,
                    "stream",
                    id);
            metrics.counter(
                    "scissor_capture_frames_failed_total",
                    "Frames the producer failed to deliver, per stream.",
                    d.failed::sum,
                    "stream",
                    id);
            metrics.counter(
                    "scissor_capture_bytes_total",
                    "JPEG bytes acknowledged by the broker, per stream.",
                    d.bytes::sum,
                    "stream",
                    id);
            metrics.counter(
                    "scissor_capture_reconnects_total",
                    "Reconnections of a live source after a drop, per stream.",
                    () -> ofCapture(id, FrameCapture::reconnects),
                    "stream",
                    id);
            for (final FrameCapture.State st : FrameCapture.State.values()) {
                metrics.gauge(
                        "scissor_capture_stream_state",
                        "Capture state of each stream: 1 for its current state, 0 for the others.",
                        () -> ofCapture(id, c -> c.state() == st ? 1 : 0),
                        "stream",
                        id,
                        "state",
                        st.name());
            }
        }
        producerMetrics = metrics.bindKafka(producer);
        return this;
    }

    /** A figure of a stream's capture; 0 before the stage starts. */
    private double ofCapture(final String streamId, final ToDoubleFunction<FrameCapture> value) {
        for (final FrameCapture c : captures) {
            if (c.streamId().equals(streamId)) {
                return value.applyAsDouble(c);
            }
        }
        return 0;
    }

    private static Producer<String, VideoFrame> newProducer(final CaptureConfig config) {
        final Topic<String, VideoFrame> topic = Topics.frames(config.framesTopic());
        return new KafkaProducer<>(
                config.producerProperties(),
                topic.keySerde().serializer(),
                topic.valueSerde().serializer());
    }

    /**
     * Opens every source and starts its thread. A file or lavfi source that cannot be opened fails
     * here; live sources connect (and retry) on their own threads.
     *
     * @throws IOException if a file or lavfi source cannot be opened (nothing is left running)
     * @throws IllegalStateException if already started or closed
     */
    public synchronized void start() throws IOException {
        if (started || closed) {
            throw new IllegalStateException("capture stage already started or closed");
        }
        started = true;
        final List<FrameSource> opened = new ArrayList<>();
        try {
            for (final Source s : sources) {
                opened.add(ReconnectingFrameSource.of(s.spec(), config.captureOptions(), config.reconnectPolicy()));
            }
        } catch (final IOException | RuntimeException e) {
            opened.forEach(FrameSource::close);
            throw e;
        }
        for (int i = 0; i < sources.size(); i++) {
            final Source s = sources.get(i);
            final FrameCapture capture = new FrameCapture(
                    s.streamId(),
                    opened.get(i),
                    new SequenceNumbers(config.fps(), config.firstSequence()),
                    new FfmpegJpegEncoder(config.jpegQscale()),
                    this::send);
            final Thread t = new Thread(capture, "capture-" + s.streamId());
            t.setDaemon(true);
            captures.add(capture);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        LOG.info("capturing {} stream(s) to {} at {} fps", sources.size(), config.framesTopic(), config.fps());
    }

    private void send(final EncodedFrame f) throws IOException {
        final VideoFrame value = VideoFrame.newBuilder()
                .setStreamId(f.streamId())
                .setSequence(f.sequence())
                .setTimestamp(f.timestampMs())
                .setWidth(f.width())
                .setHeight(f.height())
                .setPixelFormat(f.format().wireName())
                .setImage(ByteBuffer.wrap(f.image()))
                .build();
        final Delivery counters = delivery.get(f.streamId());
        try {
            producer.send(new ProducerRecord<>(config.framesTopic(), f.streamId(), value), (md, e) -> {
                if (e == null) {
                    sent.incrementAndGet();
                    bytes.addAndGet(f.image().length);
                    if (counters != null) {
                        counters.delivered.increment();
                        counters.bytes.add(f.image().length);
                    }
                } else {
                    lastSendError = e;
                    if (counters != null) {
                        counters.failed.increment();
                    }
                    if (failedSends.incrementAndGet() % 100 == 1) {
                        LOG.warn(
                                "frame {} of stream {} was not delivered ({} so far): {}",
                                f.sequence(),
                                f.streamId(),
                                failedSends.get(),
                                e.toString());
                    }
                }
            });
        } catch (final KafkaException e) {
            throw new IOException(
                    "the producer cannot send frame " + f.sequence() + " of stream " + f.streamId() + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Waits until every source has ended (end of file, failure, or stop).
     *
     * @param timeout how long to wait
     * @return whether all have ended
     * @throws InterruptedException if interrupted
     */
    public boolean awaitSources(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        for (final FrameCapture c : captures) {
            final long left = deadline - System.nanoTime();
            if (left <= 0 || !c.await(Duration.ofNanos(left))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The status of every stream.
     *
     * @return one entry per source, in order
     */
    public List<StreamStatus> status() {
        final List<StreamStatus> out = new ArrayList<>();
        for (final FrameCapture c : captures) {
            out.add(new StreamStatus(
                    c.streamId(),
                    c.source().spec().displayName(),
                    c.state(),
                    c.frames(),
                    c.lastSequence(),
                    c.reconnects()));
        }
        return out;
    }

    /** Records acknowledged by the broker. */
    public long framesSent() {
        return sent.get();
    }

    /** Records the producer failed to deliver. */
    public long failedSends() {
        return failedSends.get();
    }

    /** JPEG bytes acknowledged by the broker. */
    public long bytesSent() {
        return bytes.get();
    }

    /** The last delivery error, or {@code null}. */
    public Throwable lastSendError() {
        return lastSendError;
    }

    /** Streams that failed (their errors are in the log). */
    public long failedStreams() {
        return captures.stream()
                .filter(c -> c.state() == FrameCapture.State.FAILED)
                .count();
    }

    /**
     * Stops every capture (a read blocked in a network source returns within the read timeout),
     * then flushes and closes the producer. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        captures.forEach(FrameCapture::stop);
        final long waitMs = config.captureOptions().readTimeout().toMillis()
                + config.captureOptions().openTimeout().toMillis()
                + 2_000;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        for (final FrameCapture c : captures) {
            try {
                if (!c.await(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    LOG.warn(
                            "capture of stream {} did not stop within {} ms; closing the producer anyway",
                            c.streamId(),
                            waitMs);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            producer.flush();
        } finally {
            if (producerMetrics != null) {
                producerMetrics.close();
            }
            producer.close(Duration.ofSeconds(10));
        }
        LOG.info("capture stage closed: {} frames delivered, {} failed", sent.get(), failedSends.get());
    }
}
