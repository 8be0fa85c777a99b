package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.scissor.encoder.testing.TestClips;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FFmpeg's lavfi test source, sampled at 2 fps; the frames handed out stay as they were. */
class LavfiCaptureIT {

    @Test
    void tenSecondsAt25FpsGiveTwentyFramesThatAreNeverOverwritten() throws Exception {
        TestClips.assumeLavfi();
        final SourceSpec spec = SourceSpec.parse("lavfi:testsrc2=size=640x360:rate=25:duration=10");
        final List<CapturedFrame> frames = new ArrayList<>();
        final List<Integer> hashes = new ArrayList<>();
        try (FfmpegFrameSource src = FfmpegFrameSource.open(spec, CaptureOptions.DEFAULT.withRealtime(false))) {
            CapturedFrame f;
            while ((f = src.next()) != null) {
                frames.add(f);
                hashes.add(Arrays.hashCode(f.bgr()));
            }
            assertEquals(250, src.framesDecoded());
        }
        assertEquals(20, frames.size());
        for (int i = 0; i < frames.size(); i++) {
            assertEquals(640, frames.get(i).width());
            assertEquals(360, frames.get(i).height());
            assertEquals(
                    hashes.get(i),
                    Arrays.hashCode(frames.get(i).bgr()),
                    "frame " + i + " changed after later grabs: the grabber's buffer leaked out");
            if (i > 0) {
                assertFalse(
                        Arrays.equals(frames.get(i - 1).bgr(), frames.get(i).bgr()),
                        "testsrc2 moves, so sampled frames differ");
            }
        }
    }
}
