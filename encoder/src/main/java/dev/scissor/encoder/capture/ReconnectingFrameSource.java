package dev.scissor.encoder.capture;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live source that survives drops: when the connection fails to open, fails while reading or
 * ends, it opens a new one after an exponential backoff with jitter ({@link ReconnectPolicy}), and
 * goes on delivering frames. The caller sees one endless stream of frames, so numbering it with
 * one {@link SequenceNumbers} keeps the sequence going across reconnects.
 *
 * <p>The wait before an attempt counts from the start of the previous attempt or connection: a
 * stream that ran for minutes before it dropped is reopened at once, a listener whose wait for a
 * client timed out listens again at once, and a source that keeps failing fast is retried ever
 * more slowly, up to the maximum. The backoff starts again once a connection delivers a frame.
 *
 * <p>{@link #next()} returns {@code null} only after {@link #requestStop()}; it throws when the
 * policy's attempts are used up, or at once for errors that a retry cannot fix (a missing
 * library). {@link #requestStop()} also cuts a backoff wait short.
 */
public final class ReconnectingFrameSource implements FrameSource {

    private static final Logger LOG = LoggerFactory.getLogger(ReconnectingFrameSource.class);

    /** Opens one connection. */
    @FunctionalInterface
    public interface Opener {
        /**
         * Opens a connection.
         *
         * @return the open source
         * @throws IOException if it cannot be opened now
         */
        FrameSource open() throws IOException;
    }

    private final SourceSpec spec;
    private final Opener opener;
    private final Backoff backoff;
    private final int maxAttempts;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile FrameSource current;
    private boolean currentDelivered;
    private long lastAttemptNanos;
    private int failuresInRow;
    private volatile long connections;
    private volatile String lastProblem;
    private boolean closed;

    /**
     * Creates the source; nothing is opened until {@link #next()}.
     *
     * @param spec what is read (for logs)
     * @param opener opens one connection
     * @param policy backoff and attempt limit
     */
    public ReconnectingFrameSource(final SourceSpec spec, final Opener opener, final ReconnectPolicy policy) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.opener = Objects.requireNonNull(opener, "opener");
        this.backoff = policy.backoff();
        this.maxAttempts = policy.maxAttempts();
    }

    @Override
    public CapturedFrame next() throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException(spec.displayName() + " is closed");
        }
        while (!stopped()) {
            if (current == null && !connect()) {
                return null;
            }
            final CapturedFrame frame;
            try {
                frame = current.next();
            } catch (final IOException e) {
                if (stopped()) {
                    return null;
                }
                lastProblem = e.getMessage();
                LOG.warn("{}: connection dropped ({}); reconnecting", spec.displayName(), e.getMessage());
                dropCurrent();
                continue;
            }
            if (frame != null) {
                if (!currentDelivered) {
                    currentDelivered = true;
                    failuresInRow = 0;
                    backoff.reset();
                }
                return frame;
            }
            if (stopped()) {
                return null;
            }
            lastProblem = "stream ended";
            LOG.warn("{}: stream ended; reconnecting", spec.displayName());
            dropCurrent();
        }
        return null;
    }

    private void dropCurrent() throws IOException {
        final boolean delivered = currentDelivered;
        current.close();
        current = null;
        if (!delivered) {
            countFailure(null);
        }
    }

    private void countFailure(final IOException cause) throws IOException {
        failuresInRow++;
        if (maxAttempts >= 0 && failuresInRow > maxAttempts) {
            throw new IOException(
                    "gave up on " + spec.displayName() + " after " + failuresInRow
                            + " failed attempts in a row; last problem: " + lastProblem,
                    cause);
        }
    }

    /** Opens a connection, waiting between attempts; false if stopped first. */
    private boolean connect() throws IOException, InterruptedException {
        while (!stopped()) {
            if (lastAttemptNanos != 0) {
                final long sinceLast = System.nanoTime() - lastAttemptNanos;
                final long waitMs = backoff.next().toMillis() - TimeUnit.NANOSECONDS.toMillis(sinceLast);
                if (waitMs > 0) {
                    LOG.info("{}: next attempt in {} ms", spec.displayName(), waitMs);
                    if (stop.await(waitMs, TimeUnit.MILLISECONDS)) {
                        return false;
                    }
                }
            }
            lastAttemptNanos = System.nanoTime();
            try {
                current = opener.open();
            } catch (final IOException e) {
                if (stopped()) {
                    return false;
                }
                lastProblem = e.getMessage();
                LOG.warn("{}: cannot connect: {}", spec.displayName(), e.getMessage());
                countFailure(e);
                continue;
            }
            currentDelivered = false;
            connections++;
            if (connections > 1) {
                LOG.info("{}: reconnected (connection {})", spec.displayName(), connections);
            }
            return true;
        }
        return false;
    }

    private boolean stopped() {
        return stop.getCount() == 0;
    }

    /**
     * Connections opened so far.
     *
     * @return the count (reconnects = connections - 1)
     */
    public long connections() {
        return connections;
    }

    /**
     * Why the last connection attempt or connection failed.
     *
     * @return the message, or {@code null}
     */
    public String lastProblem() {
        return lastProblem;
    }

    @Override
    public SourceSpec spec() {
        return spec;
    }

    @Override
    public void requestStop() {
        stop.countDown();
        final FrameSource c = current;
        if (c != null) {
            c.requestStop();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            stop.countDown();
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }

    /**
     * Opens the right kind of source for a spec: a reconnecting one for live sources, a single
     * connection for files and lavfi (whose end is the end).
     *
     * @param spec the source
     * @param options sampling, size and timeouts
     * @param policy how live sources reconnect
     * @return the source; for live sources nothing is opened until the first {@link #next()}
     * @throws IOException if a file or lavfi source cannot be opened
     */
    public static FrameSource of(final SourceSpec spec, final CaptureOptions options, final ReconnectPolicy policy)
            throws IOException {
        if (!spec.live()) {
            return FfmpegFrameSource.open(spec, options);
        }
        return new ReconnectingFrameSource(spec, () -> FfmpegFrameSource.open(spec, options), policy);
    }
}
