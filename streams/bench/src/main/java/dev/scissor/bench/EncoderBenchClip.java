package dev.scissor.bench;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/** The clip {@code bench-encoder} reads by default: vtest.avi where found, else a synthetic MPEG-4 clip. */
final class EncoderBenchClip {

    private EncoderBenchClip() {}

    static Path defaultClip(final PrintStream out) throws Exception {
        for (final String c : new String[] {
            System.getenv("SCISSOR_TEST_CLIP"),
            "/opt/opencv-clip/vtest.avi",
            "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
        }) {
            if (c != null && !c.isBlank() && Files.isRegularFile(Path.of(c))) {
                return Path.of(c);
            }
        }
        final Path tmp = Files.createTempFile("scissor-bench-", ".avi");
        tmp.toFile().deleteOnExit();
        out.println("  (vtest.avi not found: using a synthetic 640x480 25 fps MPEG-4 clip of 30 s; fetch the real clip "
                + "with encoder/scripts/fetch-test-clip.sh)");
        try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(tmp.toString(), 640, 480)) {
            rec.setFormat("avi");
            rec.setVideoCodec(AV_CODEC_ID_MPEG4);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.setFrameRate(25);
            rec.setVideoQuality(4);
            rec.start();
            final Frame f = new Frame(640, 480, Frame.DEPTH_UBYTE, 3);
            final ByteBuffer b = (ByteBuffer) f.image[0];
            for (int i = 0; i < 750; i++) {
                for (int y = 0; y < 480; y++) {
                    for (int x = 0; x < 640; x++) {
                        final int o = y * f.imageStride + 3 * x;
                        final boolean box = Math.abs(x - (i * 3) % 640) < 40 && Math.abs(y - 240) < 60;
                        b.put(o, (byte) (box ? 255 : x / 3));
                        b.put(o + 1, (byte) (box ? 40 : y / 2));
                        b.put(o + 2, (byte) (box ? 40 : (x + y) / 5));
                    }
                }
                rec.record(f, AV_PIX_FMT_BGR24);
            }
            rec.stop();
        }
        return tmp;
    }
}
