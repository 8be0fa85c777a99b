package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.media.FfmpegJpegEncoder;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.testing.TestVideos;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture from a synthetic MPEG-4 file: sampling, resizing, pacing and a clean end of file. */
class FileCaptureIT {

    @TempDir
    static Path dir;

    private static Path clip;

    @BeforeAll
    static void writeClip() throws Exception {
        clip = dir.resolve("bar.avi");
        TestVideos.writeAvi(clip, 100, 25, 320, 240); // 4 s
    }

    private static CaptureOptions fast() {
        return CaptureOptions.DEFAULT.withRealtime(false);
    }

    @Test
    void sampledAtTwoFpsUntilTheEndOfTheFile() throws Exception {
        final SourceSpec spec = SourceSpec.parse(clip.toString());
        try (FfmpegFrameSource src = FfmpegFrameSource.open(spec, fast())) {
            final List<CapturedFrame> frames = new ArrayList<>();
            CapturedFrame f;
            while ((f = src.next()) != null) {
                frames.add(f);
            }
            assertEquals(8, frames.size());
            assertEquals(100, src.framesDecoded());
            assertTrue(
                    src.framesConverted() <= 2 * frames.size() + 1,
                    "only frames that may be sampled are converted: " + src.framesConverted());
            assertEquals(25.0, src.sourceFrameRate(), 0.01);
            for (int k = 0; k < frames.size(); k++) {
                final CapturedFrame c = frames.get(k);
                assertEquals(320, c.width());
                assertEquals(240, c.height());
                assertTrue(
                        c.ptsMicros() >= k * 500_000L && c.ptsMicros() < (k + 1) * 500_000L,
                        "frame " + k + " at " + c.ptsMicros());
                if (k > 0) {
                    assertEquals(
                            c.ptsMicros() / 1000,
                            c.timestampMs() - frames.get(0).timestampMs(),
                            "file frames are stamped with media time");
                }
            }
            assertNull(src.next(), "stays at the end");
        }
    }

    @Test
    void resizedWhileDecoding() throws Exception {
        try (FfmpegFrameSource src =
                FfmpegFrameSource.open(SourceSpec.parse("file:" + clip), fast().withMaxSize(160, 0))) {
            final CapturedFrame f = src.next();
            assertEquals(160, f.width());
            assertEquals(120, f.height());
            assertEquals(3 * 160 * 120, f.bgr().length);
        }
    }

    @Test
    void pacedFilesRunAtMediaSpeed() throws Exception {
        final long t0 = System.nanoTime();
        int n = 0;
        try (FfmpegFrameSource src =
                FfmpegFrameSource.open(SourceSpec.parse(clip.toString()), CaptureOptions.DEFAULT)) {
            while (src.next() != null && ++n < 4) {
                // the 4th sampled frame is due 1.5 s after the first
            }
        }
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(4, n);
        assertTrue(ms >= 1400, "paced capture took only " + ms + " ms for 1.5 s of media");
    }

    @Test
    void theCaptureLoopNumbersCompressesAndEndsCleanly() throws Exception {
        final List<EncodedFrame> out = Collections.synchronizedList(new ArrayList<>());
        final FrameCapture capture = new FrameCapture(
                "cam-file",
                FfmpegFrameSource.open(SourceSpec.parse(clip.toString()), fast()),
                new SequenceNumbers(2, 0),
                new FfmpegJpegEncoder(5),
                out::add);
        capture.run();
        assertEquals(FrameCapture.State.ENDED, capture.state());
        assertEquals(8, capture.frames());
        assertEquals(8, out.size());
        for (int i = 0; i < out.size(); i++) {
            final EncodedFrame e = out.get(i);
            assertEquals("cam-file", e.streamId());
            assertEquals(ImageFormat.JPEG, e.format());
            assertTrue(e.image().length > 500);
            if (i > 0) {
                assertTrue(e.sequence() > out.get(i - 1).sequence());
            }
        }
        assertEquals(out.get(7).sequence(), capture.lastSequence());
        assertTrue(capture.await(Duration.ZERO));
    }

    @Test
    void aMissingFileIsNotRetried() {
        assertThrows(
                NoSuchFileException.class,
                () -> ReconnectingFrameSource.of(
                        SourceSpec.parse(dir.resolve("nope.mp4").toString()), fast(), ReconnectPolicy.DEFAULT));
    }
}
