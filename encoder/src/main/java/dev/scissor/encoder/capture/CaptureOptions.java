package dev.scissor.encoder.capture;

import java.time.Duration;
import java.util.Objects;

/**
 * How a source is read.
 *
 * @param fps sampling rate in frames per second (0: every frame); default 2, as video LLMs sample
 * @param maxWidth frames wider than this are scaled down, keeping the aspect ratio (0: no limit)
 * @param maxHeight frames taller than this are scaled down, keeping the aspect ratio (0: no limit)
 * @param realtime for files and lavfi: deliver frames no faster than their media time (like {@code
 *     ffmpeg -re}), so that a file behaves like a camera; live sources are never paced
 * @param openTimeout how long one connection attempt may take (for a listener: how long it waits
 *     for a client to push before it starts listening again)
 * @param readTimeout how long a network read may block before the connection counts as dropped
 * @param decoderThreads FFmpeg decoder threads per source: 1 (default) costs the least CPU per
 *     frame and scales across many cameras; 0 lets FFmpeg choose (lower latency for a few HD
 *     streams, more CPU per frame)
 */
public record CaptureOptions(
        double fps,
        int maxWidth,
        int maxHeight,
        boolean realtime,
        Duration openTimeout,
        Duration readTimeout,
        int decoderThreads) {

    /** 2 fps, at most 640×640, paced, 10 s to open, 5 s per read, one decoder thread. */
    public static final CaptureOptions DEFAULT =
            new CaptureOptions(2.0, 640, 640, true, Duration.ofSeconds(10), Duration.ofSeconds(5), 1);

    // Validates.
    public CaptureOptions {
        if (!(fps >= 0 && fps <= 1000)) {
            throw new IllegalArgumentException("fps must be in [0, 1000], got " + fps);
        }
        if (maxWidth < 0 || maxHeight < 0) {
            throw new IllegalArgumentException("maximum size must be >= 0, got " + maxWidth + "x" + maxHeight);
        }
        Objects.requireNonNull(openTimeout, "openTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        if (openTimeout.toMillis() < 1 || readTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeouts must be at least 1 ms");
        }
        if (decoderThreads < 0) {
            throw new IllegalArgumentException("decoder threads must be >= 0, got " + decoderThreads);
        }
    }

    /**
     * A copy with another sampling rate.
     *
     * @param newFps frames per second
     * @return the copy
     */
    public CaptureOptions withFps(final double newFps) {
        return new CaptureOptions(newFps, maxWidth, maxHeight, realtime, openTimeout, readTimeout, decoderThreads);
    }

    /**
     * A copy with or without real-time pacing.
     *
     * @param paced whether files are paced
     * @return the copy
     */
    public CaptureOptions withRealtime(final boolean paced) {
        return new CaptureOptions(fps, maxWidth, maxHeight, paced, openTimeout, readTimeout, decoderThreads);
    }

    /**
     * A copy with another size limit.
     *
     * @param w maximum width (0: none)
     * @param h maximum height (0: none)
     * @return the copy
     */
    public CaptureOptions withMaxSize(final int w, final int h) {
        return new CaptureOptions(fps, w, h, realtime, openTimeout, readTimeout, decoderThreads);
    }

    /**
     * A copy with other timeouts.
     *
     * @param open connection timeout
     * @param read read timeout
     * @return the copy
     */
    public CaptureOptions withTimeouts(final Duration open, final Duration read) {
        return new CaptureOptions(fps, maxWidth, maxHeight, realtime, open, read, decoderThreads);
    }

    /**
     * A copy with another number of decoder threads.
     *
     * @param threads threads per source (0: FFmpeg chooses)
     * @return the copy
     */
    public CaptureOptions withDecoderThreads(final int threads) {
        return new CaptureOptions(fps, maxWidth, maxHeight, realtime, openTimeout, readTimeout, threads);
    }

    /**
     * The output size for a source size: scaled down to fit the limits, aspect ratio kept, never
     * scaled up, both sides even (JPEG's 4:2:0 chroma) and at least 2.
     *
     * @param srcWidth source width
     * @param srcHeight source height
     * @return {@code {width, height}}
     */
    public int[] outputSize(final int srcWidth, final int srcHeight) {
        double scale = 1.0;
        if (maxWidth > 0) {
            scale = Math.min(scale, (double) maxWidth / srcWidth);
        }
        if (maxHeight > 0) {
            scale = Math.min(scale, (double) maxHeight / srcHeight);
        }
        final int w = Math.max(2, (int) Math.round(srcWidth * scale) & ~1);
        final int h = Math.max(2, (int) Math.round(srcHeight * scale) & ~1);
        return new int[] {w, h};
    }
}
