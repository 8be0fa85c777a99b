package dev.scissor.encoder.capture;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;

import dev.scissor.encoder.media.Ffmpeg;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to a source through JavaCV's {@link FFmpegFrameGrabber}: decodes every frame,
 * keeps the frames the {@link RateSampler} picks, lets swscale convert those to BGR24 at the output
 * size while grabbing (the cheapest place to resize; frames that cannot be sampled are not
 * converted at all), and copies each into a {@link CapturedFrame} that owns its bytes (the grabber
 * reuses its image buffer on every grab).
 *
 * <p>Timestamps: a live source's frames are stamped with the wall clock when grabbed; a file's or
 * lavfi's with the wall-clock time of the first frame plus the media time. With {@link
 * CaptureOptions#realtime()} a file is also paced to that time, so it behaves like a camera.
 *
 * <p>The grabber is started with {@code startUnsafe()}, never {@code start()}: {@code start()}
 * holds a JVM-wide lock for as long as it blocks, and a listener blocks until a client pushes, so
 * every other grabber and recorder in the process would hang (STACK.md §4). Network reads are
 * bounded by {@link CaptureOptions#readTimeout()} (FFmpeg's {@code timeout} / {@code rw_timeout}),
 * and a listener waits {@link CaptureOptions#openTimeout()} for a client ({@code listen_timeout}).
 *
 * <p>An end of stream or an error ends this connection; {@link ReconnectingFrameSource} opens a
 * new one for live sources.
 */
public final class FfmpegFrameSource implements FrameSource {

    private static final Logger LOG = LoggerFactory.getLogger(FfmpegFrameSource.class);
    private static final long UNSET = Long.MIN_VALUE;

    private final SourceSpec spec;
    private final CaptureOptions options;
    private final FFmpegFrameGrabber grabber;
    private final RateSampler sampler;
    private final LongSupplier wallClock;
    private final int width;
    private final int height;
    private long firstPts = UNSET;
    private long anchorWallMs;
    private long lastPts = UNSET;
    private long intervalMicros;
    private boolean takeNext;
    private long framesDecoded;
    private long framesConverted;
    private volatile boolean stopRequested;
    private boolean closed;

    private FfmpegFrameSource(
            final SourceSpec spec,
            final CaptureOptions options,
            final FFmpegFrameGrabber grabber,
            final LongSupplier wallClock,
            final int width,
            final int height) {
        this.spec = spec;
        this.options = options;
        this.grabber = grabber;
        this.sampler = new RateSampler(options.fps());
        this.wallClock = wallClock;
        this.width = width;
        this.height = height;
    }

    /**
     * Opens a connection (for a listener: waits up to the open timeout for a client).
     *
     * @param spec the source
     * @param options sampling, size and timeouts
     * @return the open source
     * @throws NoSuchFileException if a file source does not exist
     * @throws IOException if FFmpeg cannot open the source or it has no video stream
     * @throws IllegalStateException if a lavfi or V4L2 source is asked for but libavdevice does not
     *     load
     */
    public static FfmpegFrameSource open(final SourceSpec spec, final CaptureOptions options) throws IOException {
        return open(spec, options, System::currentTimeMillis);
    }

    static FfmpegFrameSource open(final SourceSpec spec, final CaptureOptions options, final LongSupplier wallClock)
            throws IOException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        Ffmpeg.init();
        if (spec.kind() == SourceSpec.Kind.LAVFI || spec.kind() == SourceSpec.Kind.V4L2) {
            Ffmpeg.requireDevices();
        }
        if (spec.kind() == SourceSpec.Kind.FILE && !Files.isReadable(Path.of(spec.url()))) {
            throw new NoSuchFileException(spec.url(), null, "video file does not exist or is not " + "readable");
        }
        final FFmpegFrameGrabber g = new FFmpegFrameGrabber(spec.url());
        if (spec.format() != null) {
            g.setFormat(spec.format());
        }
        final long readMicros =
                TimeUnit.MILLISECONDS.toMicros(options.readTimeout().toMillis());
        switch (spec.kind()) {
            case RTSP -> g.setOption("timeout", Long.toString(readMicros));
            case RTSP_LISTEN -> {
                g.setOption(
                        "listen_timeout",
                        Long.toString(Math.max(1, (options.openTimeout().toMillis() + 999) / 1000)));
                g.setOption("timeout", Long.toString(readMicros));
            }
            case NETWORK -> g.setOption("rw_timeout", Long.toString(readMicros));
            default -> {}
        }
        spec.options().forEach(g::setOption);
        g.setVideoOption("threads", Integer.toString(options.decoderThreads()));
        g.setPixelFormat(AV_PIX_FMT_BGR24);
        final long t0 = System.nanoTime();
        try {
            g.startUnsafe();
        } catch (final FrameGrabber.Exception | RuntimeException e) {
            release(g);
            throw new IOException("cannot open " + spec.displayName() + ": " + e.getMessage(), e);
        }
        if (!g.hasVideo() || g.getImageWidth() <= 0 || g.getImageHeight() <= 0) {
            release(g);
            throw new IOException(spec.displayName() + " has no video stream");
        }
        final int[] size = options.outputSize(g.getImageWidth(), g.getImageHeight());
        g.setImageWidth(size[0]);
        g.setImageHeight(size[1]);
        LOG.info(
                "opened {} in {} ms: {} {}x{} at {} fps, sampling {} fps at {}x{}",
                spec.displayName(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                g.getVideoCodecName(),
                g.getImageWidth(),
                g.getImageHeight(),
                String.format("%.2f", g.getFrameRate()),
                options.fps() == 0 ? "all" : options.fps(),
                size[0],
                size[1]);
        return new FfmpegFrameSource(spec, options, g, wallClock, size[0], size[1]);
    }

    @Override
    public CapturedFrame next() throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException(spec.displayName() + " is closed");
        }
        while (!stopRequested) {
            final boolean convert = takeNext || mayBeSampled();
            final Frame f;
            try {
                f = grabber.grabFrame(false, true, convert, false);
            } catch (final FrameGrabber.Exception | RuntimeException e) {
                throw new IOException("reading " + spec.displayName() + " failed: " + e.getMessage(), e);
            }
            if (f == null) {
                return null;
            }
            framesDecoded++;
            final long pts = f.timestamp;
            if (lastPts != UNSET && pts > lastPts) {
                final long delta = pts - lastPts;
                intervalMicros = intervalMicros == 0 ? delta : (3 * intervalMicros + delta) / 4;
            }
            lastPts = pts;
            if (firstPts == UNSET) {
                firstPts = pts;
                anchorWallMs = wallClock.getAsLong();
            }
            final boolean converted =
                    convert && f.image != null && f.image[0] != null && f.imageWidth > 0 && f.imageChannels == 3;
            if (convert) {
                framesConverted++;
            }
            if (takeNext) {
                if (!converted) {
                    continue;
                }
                takeNext = false; // the sample of this slot, one frame late
            } else if (!sampler.accept(pts)) {
                continue;
            } else if (!converted) {
                takeNext = true; // sampled, but this frame's pixels were not converted: take the next one
                continue;
            }
            final long timestampMs;
            if (spec.live()) {
                timestampMs = wallClock.getAsLong();
            } else {
                timestampMs = anchorWallMs + Math.floorDiv(pts - firstPts, 1000);
                if (options.realtime() && !pace(timestampMs)) {
                    return null;
                }
            }
            return new CapturedFrame(pts, timestampMs, f.imageWidth, f.imageHeight, copy(f));
        }
        return null;
    }

    /**
     * Whether the next frame may be sampled, predicted from the last timestamp and the running frame
     * interval (with half an interval of margin). Only such frames are converted to BGR: at 25 fps
     * sampled at 2 fps that skips the swscale pass for 23 of 25 frames. A frame that is sampled
     * although not predicted (irregular timing) is replaced by the next one.
     */
    private boolean mayBeSampled() {
        if (sampler.periodMicros() == 0 || lastPts == UNSET || intervalMicros <= 0) {
            return true;
        }
        return sampler.wouldAccept(lastPts + intervalMicros + intervalMicros / 2)
                || sampler.wouldAccept(lastPts + intervalMicros);
    }

    /** Sleeps until the wall clock reaches {@code dueMs}; false if a stop was requested. */
    private boolean pace(final long dueMs) throws InterruptedException {
        long wait = dueMs - wallClock.getAsLong();
        while (wait > 0) {
            if (stopRequested) {
                return false;
            }
            Thread.sleep(Math.min(wait, 100));
            wait = dueMs - wallClock.getAsLong();
        }
        return !stopRequested;
    }

    private static byte[] copy(final Frame f) {
        final ByteBuffer src = (ByteBuffer) f.image[0];
        final int rowBytes = 3 * f.imageWidth;
        final byte[] out = new byte[rowBytes * f.imageHeight];
        if (f.imageStride == rowBytes) {
            src.get(0, out, 0, out.length);
        } else {
            for (int y = 0; y < f.imageHeight; y++) {
                src.get(y * f.imageStride, out, y * rowBytes, rowBytes);
            }
        }
        return out;
    }

    @Override
    public SourceSpec spec() {
        return spec;
    }

    /**
     * Width of the frames delivered.
     *
     * @return pixels
     */
    public int width() {
        return width;
    }

    /**
     * Height of the frames delivered.
     *
     * @return pixels
     */
    public int height() {
        return height;
    }

    /**
     * Frames decoded so far, sampled or not.
     *
     * @return the count
     */
    public long framesDecoded() {
        return framesDecoded;
    }

    /**
     * Frames converted to BGR at the output size (only frames that may be sampled are).
     *
     * @return the count
     */
    public long framesConverted() {
        return framesConverted;
    }

    /**
     * The source's frame rate as FFmpeg reports it.
     *
     * @return frames per second (0 if unknown)
     */
    public double sourceFrameRate() {
        return grabber.getFrameRate();
    }

    @Override
    public void requestStop() {
        stopRequested = true;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release(grabber);
        }
    }

    private static void release(final FFmpegFrameGrabber g) {
        try {
            // releaseUnsafe, not release(): release() takes the same JVM-wide lock as start().
            g.releaseUnsafe();
        } catch (final FrameGrabber.Exception | RuntimeException e) {
            LOG.debug("closing the grabber failed", e);
        }
    }
}
