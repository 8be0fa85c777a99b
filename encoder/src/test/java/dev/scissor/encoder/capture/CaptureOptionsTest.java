package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CaptureOptionsTest {

    @Test
    void outputSizeFitsTheBoxKeepsTheAspectAndNeverUpscales() {
        final CaptureOptions o = CaptureOptions.DEFAULT;
        assertArrayEquals(new int[] {640, 360}, o.outputSize(1920, 1080));
        assertArrayEquals(new int[] {640, 480}, o.outputSize(768, 576));
        assertArrayEquals(new int[] {360, 640}, o.outputSize(1080, 1920));
        assertArrayEquals(new int[] {320, 240}, o.outputSize(320, 240));
        assertArrayEquals(new int[] {320, 240}, o.outputSize(321, 241));
        assertArrayEquals(new int[] {1920, 1080}, o.withMaxSize(0, 0).outputSize(1920, 1080));
        assertArrayEquals(new int[] {224, 126}, o.withMaxSize(224, 0).outputSize(1920, 1080));
    }

    @Test
    void rejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> CaptureOptions.DEFAULT.withFps(-2));
        assertThrows(IllegalArgumentException.class, () -> CaptureOptions.DEFAULT.withMaxSize(-1, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> CaptureOptions.DEFAULT.withTimeouts(Duration.ZERO, Duration.ofSeconds(1)));
    }
}
