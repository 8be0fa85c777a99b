package dev.scissor.encoder.capture;

import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.media.JpegEncoder;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture loop of one stream, free of any transport: pulls sampled frames from a {@link
 * FrameSource}, numbers them ({@link SequenceNumbers}), compresses them to JPEG and hands them to a
 * {@link Sink} (the Kafka producer, in the pipeline). Run it on its own thread; it owns the source
 * and the JPEG encoder and closes both when it ends.
 *
 * <p>It ends when the source ends (end of file: {@link State#ENDED}), when {@link #stop()} is
 * called ({@link State#STOPPED}), or when the source, the encoder or the sink fails ({@link
 * State#FAILED}, see {@link #failure()}). Statistics may be read from any thread.
 */
public final class FrameCapture implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(FrameCapture.class);

    /** Where compressed frames go. */
    @FunctionalInterface
    public interface Sink {
        /**
         * Takes one frame (may block for back-pressure).
         *
         * @param frame the frame
         * @throws IOException if it cannot be taken; the capture fails
         * @throws InterruptedException if interrupted while blocked
         */
        void accept(EncodedFrame frame) throws IOException, InterruptedException;
    }

    /** Life cycle. */
    public enum State {
        /** Created, not yet running. */
        NEW,
        /** Capturing (or waiting for the source). */
        RUNNING,
        /** The source ended (end of file). */
        ENDED,
        /** Stopped on request. */
        STOPPED,
        /** Stopped by an error. */
        FAILED
    }

    private final String streamId;
    private final FrameSource source;
    private final SequenceNumbers numbers;
    private final JpegEncoder jpeg;
    private final Sink sink;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong encodeNanos = new AtomicLong();
    private volatile long lastSequence = SequenceNumbers.NONE;
    private volatile State state = State.NEW;
    private volatile boolean stopRequested;
    private volatile Throwable failure;

    /**
     * Creates the loop.
     *
     * @param streamId the stream id written with every frame
     * @param source the frames (owned: closed when the loop ends)
     * @param numbers the numbering of this stream
     * @param jpeg the compressor (owned: closed when the loop ends)
     * @param sink where frames go
     */
    public FrameCapture(
            final String streamId,
            final FrameSource source,
            final SequenceNumbers numbers,
            final JpegEncoder jpeg,
            final Sink sink) {
        this.streamId = Objects.requireNonNull(streamId, "streamId");
        this.source = Objects.requireNonNull(source, "source");
        this.numbers = Objects.requireNonNull(numbers, "numbers");
        this.jpeg = Objects.requireNonNull(jpeg, "jpeg");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    @Override
    public void run() {
        state = State.RUNNING;
        State end = State.ENDED;
        try {
            while (!stopRequested) {
                final CapturedFrame f = source.next();
                if (f == null) {
                    break;
                }
                final long seq = numbers.next(f.timestampMs());
                final long t0 = System.nanoTime();
                final byte[] image = jpeg.encode(f.bgr(), f.width(), f.height());
                encodeNanos.addAndGet(System.nanoTime() - t0);
                sink.accept(new EncodedFrame(
                        streamId, seq, f.timestampMs(), f.width(), f.height(), ImageFormat.JPEG, image));
                lastSequence = seq;
                frames.incrementAndGet();
                bytes.addAndGet(image.length);
            }
            if (stopRequested) {
                end = State.STOPPED;
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            end = State.STOPPED;
        } catch (final IOException | RuntimeException e) {
            failure = e;
            end = State.FAILED;
            LOG.error(
                    "capture of stream {} from {} failed",
                    streamId,
                    source.spec().displayName(),
                    e);
        } finally {
            try {
                source.close();
            } finally {
                jpeg.close();
                state = end;
                done.countDown();
            }
        }
        LOG.info(
                "capture of stream {} from {} {} after {} frames (last sequence {})",
                streamId,
                source.spec().displayName(),
                end.name().toLowerCase(java.util.Locale.ROOT),
                frames.get(),
                lastSequence == SequenceNumbers.NONE ? "none" : Long.toString(lastSequence));
    }

    /** Asks the loop to stop; it ends as soon as the source returns (non-blocking). */
    public void stop() {
        stopRequested = true;
        source.requestStop();
    }

    /**
     * Waits for the loop to end.
     *
     * @param timeout how long to wait
     * @return whether it ended
     * @throws InterruptedException if interrupted
     */
    public boolean await(final Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The stream id.
     *
     * @return it
     */
    public String streamId() {
        return streamId;
    }

    /**
     * The source.
     *
     * @return it
     */
    public FrameSource source() {
        return source;
    }

    /**
     * The state.
     *
     * @return it
     */
    public State state() {
        return state;
    }

    /**
     * Frames handed to the sink.
     *
     * @return the count
     */
    public long frames() {
        return frames.get();
    }

    /**
     * JPEG bytes handed to the sink.
     *
     * @return the total
     */
    public long bytes() {
        return bytes.get();
    }

    /**
     * Time spent compressing.
     *
     * @return nanoseconds in total
     */
    public long encodeNanos() {
        return encodeNanos.get();
    }

    /**
     * The last sequence number handed to the sink.
     *
     * @return it, or {@link SequenceNumbers#NONE}
     */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * Reconnections so far (live sources).
     *
     * @return connections opened minus one, or 0
     */
    public long reconnects() {
        return source instanceof ReconnectingFrameSource r ? Math.max(0, r.connections() - 1) : 0;
    }

    /**
     * What stopped the loop, if it failed.
     *
     * @return the error, or {@code null}
     */
    public Throwable failure() {
        return failure;
    }
}
