package dev.scissor.encoder.capture;

import java.io.IOException;

/**
 * A source of sampled frames. One thread pulls frames with {@link #next()} and finally calls
 * {@link #close()}; any thread may call {@link #requestStop()}.
 */
public interface FrameSource extends AutoCloseable {

    /**
     * The next sampled frame, blocking until there is one.
     *
     * @return the frame, or {@code null} at the end of the stream or after {@link #requestStop()}
     * @throws IOException if the source fails (for a single connection: it dropped)
     * @throws InterruptedException if the thread is interrupted while waiting to reconnect
     */
    CapturedFrame next() throws IOException, InterruptedException;

    /**
     * What this source reads.
     *
     * @return the spec
     */
    SourceSpec spec();

    /**
     * Asks the source to stop: {@link #next()} returns {@code null} as soon as it can (a read
     * blocked in FFmpeg returns within the source's read timeout). Does not block; any thread.
     */
    void requestStop();

    /** Releases the source; call it from the thread that calls {@link #next()}. Idempotent. */
    @Override
    void close();
}
