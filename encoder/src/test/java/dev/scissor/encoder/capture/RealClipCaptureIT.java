package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.testing.TestClips;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real clip vtest.avi (768×576, MS-MPEG4 v3, 10 fps, 795 frames, 79.5 s) decoded as fast as
 * possible and sampled at 2 fps: 159 frames, one per half second of media, scaled to 640×480.
 */
class RealClipCaptureIT {

    private static final Logger LOG = LoggerFactory.getLogger(RealClipCaptureIT.class);

    @Test
    void vtestAtTwoFpsGives159FramesOnePerHalfSecond() throws Exception {
        final Path clip = TestClips.vtest();
        final long t0 = System.nanoTime();
        int n = 0;
        long lastPts = -1;
        byte[] previous = null;
        int unchanged = 0;
        try (FfmpegFrameSource src =
                FfmpegFrameSource.open(SourceSpec.parse(clip.toString()), CaptureOptions.DEFAULT.withRealtime(false))) {
            CapturedFrame f;
            while ((f = src.next()) != null) {
                assertEquals(640, f.width());
                assertEquals(480, f.height());
                assertTrue(
                        f.ptsMicros() >= n * 500_000L && f.ptsMicros() < (n + 1) * 500_000L,
                        "frame " + n + " at " + f.ptsMicros() + " us");
                assertTrue(f.ptsMicros() > lastPts);
                lastPts = f.ptsMicros();
                if (previous != null && Arrays.equals(previous, f.bgr())) {
                    unchanged++;
                }
                previous = f.bgr();
                n++;
            }
            final double ms = (System.nanoTime() - t0) / 1e6;
            LOG.info(
                    "vtest.avi: {} frames decoded, {} converted, {} sampled at 2 fps in {} ms ({} ms per "
                            + "decoded frame, including the resize to 640x480 and the copies)",
                    src.framesDecoded(),
                    src.framesConverted(),
                    n,
                    String.format("%.0f", ms),
                    String.format("%.2f", ms / src.framesDecoded()));
            assertEquals(795, src.framesDecoded());
            assertTrue(src.framesConverted() < 400, "converted " + src.framesConverted() + " of 795");
        }
        assertEquals(159, n);
        assertFalse(unchanged > 5, unchanged + " sampled frames were identical to the one before");
    }
}
