package dev.scissor.encoder.testing;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Synthetic video written with JavaCV's recorder (MPEG-4 part 2, which this FFmpeg build
 * encodes): to files, or pushed to an RTSP listener, so that the capture tests need no assets.
 */
public final class TestVideos {

    private TestVideos() {}

    /**
     * Draws frame {@code index}: a vertical bar that moves by 8 pixels a frame over a background of
     * the given colour.
     *
     * @param frame the frame to draw into (BGR24)
     * @param index frame number
     * @param b background blue
     * @param g background green
     * @param r background red
     */
    public static void draw(final Frame frame, final int index, final int b, final int g, final int r) {
        final ByteBuffer buf = (ByteBuffer) frame.image[0];
        final int bar = (index * 8) % frame.imageWidth;
        for (int y = 0; y < frame.imageHeight; y++) {
            for (int x = 0; x < frame.imageWidth; x++) {
                final int o = y * frame.imageStride + 3 * x;
                final boolean onBar = x >= bar && x < bar + 16;
                buf.put(o, (byte) (onBar ? 255 : b));
                buf.put(o + 1, (byte) (onBar ? 255 : g));
                buf.put(o + 2, (byte) (onBar ? 255 : r));
            }
        }
    }

    /**
     * Writes an MPEG-4 AVI of a moving bar.
     *
     * @param file the file
     * @param frames number of frames
     * @param fps frame rate
     * @param width width
     * @param height height
     * @throws FrameRecorder.Exception if recording fails
     */
    public static void writeAvi(final Path file, final int frames, final int fps, final int width, final int height)
            throws FrameRecorder.Exception {
        try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toString(), width, height)) {
            rec.setFormat("avi");
            rec.setVideoCodec(AV_CODEC_ID_MPEG4);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.setFrameRate(fps);
            rec.setGopSize(fps);
            rec.setVideoQuality(4);
            rec.start();
            final Frame frame = new Frame(width, height, Frame.DEPTH_UBYTE, 3);
            for (int i = 0; i < frames; i++) {
                draw(frame, i, 40, 90, 30);
                rec.record(frame, AV_PIX_FMT_BGR24);
            }
            rec.stop();
        }
    }

    /**
     * Pushes a moving bar over a background colour to an RTSP listener in real time, as a camera
     * or an encoder box would: {@code ANNOUNCE}/{@code RECORD} over TCP. Retries the connection
     * for up to {@code connectTimeoutMs} while the listener is not up yet.
     *
     * @param url the listener's {@code rtsp://host:port/path}
     * @param frames frames to push
     * @param fps frame rate
     * @param bgr background colour
     * @param connectTimeoutMs how long to retry connecting
     * @throws Exception if it cannot connect or push
     */
    public static void pushRtsp(
            final String url, final int frames, final int fps, final int[] bgr, final long connectTimeoutMs)
            throws Exception {
        final int width = 320;
        final int height = 240;
        final long deadline = System.currentTimeMillis() + connectTimeoutMs;
        FFmpegFrameRecorder rec = null;
        while (rec == null) {
            final FFmpegFrameRecorder r = new FFmpegFrameRecorder(url, width, height);
            r.setFormat("rtsp");
            r.setOption("rtsp_transport", "tcp");
            r.setVideoCodec(AV_CODEC_ID_MPEG4);
            r.setPixelFormat(AV_PIX_FMT_YUV420P);
            r.setFrameRate(fps);
            r.setGopSize(fps);
            r.setVideoQuality(4);
            try {
                r.start();
                rec = r;
            } catch (final FrameRecorder.Exception e) {
                r.release();
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
        try {
            final Frame frame = new Frame(width, height, Frame.DEPTH_UBYTE, 3);
            final long t0 = System.nanoTime();
            for (int i = 0; i < frames; i++) {
                draw(frame, i, bgr[0], bgr[1], bgr[2]);
                rec.setTimestamp(i * 1_000_000L / fps);
                rec.record(frame, AV_PIX_FMT_BGR24);
                final long due = t0 + (i + 1) * 1_000_000_000L / fps;
                final long sleepNanos = due - System.nanoTime();
                if (sleepNanos > 0) {
                    Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
                }
            }
            rec.stop();
        } finally {
            rec.release();
        }
    }
}
