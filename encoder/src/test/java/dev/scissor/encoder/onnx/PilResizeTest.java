package dev.scissor.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.EncoderModelDescriptor.Resample;
import dev.scissor.encoder.model.Normalization;
import dev.scissor.encoder.onnx.ImagePreprocessor.PixelFormat;
import dev.scissor.encoder.onnx.ImagePreprocessor.Region;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/**
 * The Pillow resize port against values Pillow 12.3 itself produced ({@code Image.resize}) on a
 * 7x5 RGB test pattern: shrinking, enlarging, one axis only, and a box.
 */
class PilResizeTest {

    private static final int W = 7;
    private static final int H = 5;
    /** Raw 0..255 values, no mean/std: the preprocessor's output is then the resized bytes. */
    private static final Normalization RAW = new Normalization(1f, new float[] {0, 0, 0}, new float[] {1, 1, 1});

    /** Pillow 12.3: BICUBIC resize to 3x2. */
    private static final int[] BICUBICDOWN = {
        39, 175, 98, 131, 176, 126, 186, 103, 151, 144, 154, 123, 161, 195, 185, 105, 119, 126
    };
    /** Pillow 12.3: BILINEAR resize to 3x2. */
    private static final int[] BILINEARDOWN = {
        51, 174, 101, 129, 172, 128, 179, 108, 148, 139, 159, 123, 154, 186, 177, 113, 122, 127
    };
    /** Pillow 12.3: BICUBIC resize to 9x6. */
    private static final int[] BICUBICUP = {
        0, 255, 90, 22, 240, 90, 53, 211, 89, 82, 188, 89, 111, 165, 89, 140, 142, 88, 169, 118, 88, 200, 93, 87, 224,
        74, 87, 5, 56, 89, 28, 178, 96, 59, 230, 103, 88, 193, 111, 117, 170, 118, 146, 147, 125, 174, 123, 132, 212,
        98, 140, 249, 79, 146, 25, 0, 89, 50, 162, 103, 81, 241, 120, 110, 199, 136, 139, 176, 152, 166, 153, 166, 218,
        129, 194, 191, 104, 220, 89, 85, 233, 62, 5, 89, 86, 172, 109, 117, 246, 136, 148, 205, 160, 188, 182, 184, 225,
        159, 227, 192, 135, 181, 98, 110, 150, 6, 91, 178, 118, 11, 88, 142, 178, 116, 176, 252, 151, 192, 211, 186,
        174, 188, 218, 216, 165, 220, 107, 141, 102, 36, 116, 31, 89, 97, 75, 177, 16, 88, 201, 183, 122, 246, 255, 166,
        215, 216, 211, 24, 193, 247, 48, 170, 68, 88, 146, 55, 124, 121, 117, 147, 102, 151
    };
    /** Pillow 12.3: BICUBIC resize to 4x3, box=(1, 1, 6, 4). */
    private static final int[] BICUBICBOX = {
        51, 216, 104, 99, 192, 121, 145, 153, 137, 193, 114, 154, 84, 223, 118, 132, 199, 152, 179, 160, 184, 212, 121,
        218, 139, 230, 132, 187, 206, 182, 242, 167, 241, 71, 128, 72
    };
    /** Pillow 12.3: BILINEAR resize to 4x5. */
    private static final int[] BILINEARWIDTHONLY = {
        19, 239, 90, 77, 193, 90, 145, 137, 90, 203, 91, 90, 30, 112, 97, 88, 200, 117, 156, 144, 141, 214, 98, 161, 63,
        119, 104, 121, 207, 144, 189, 151, 192, 113, 105, 232, 118, 126, 110, 176, 214, 171, 193, 158, 192, 58, 112, 60,
        195, 133, 117, 181, 221, 198, 65, 165, 110, 123, 119, 119
    };
    /** Pillow 12.3: BICUBIC resize to 7x3. */
    private static final int[] BICUBICHEIGHTONLY = {
        2, 151, 90, 39, 227, 95, 76, 197, 99, 113, 167, 104, 150, 137, 108, 195, 107, 121, 232, 77, 125, 46, 3, 90, 83,
        239, 116, 120, 209, 142, 167, 179, 168, 204, 149, 204, 178, 119, 166, 66, 89, 192, 147, 25, 90, 184, 251, 137,
        221, 221, 185, 108, 191, 232, 145, 161, 130, 68, 131, 63, 105, 101, 111
    };

    /** The test pattern, packed RGB24: the same formula the expected values were made from. */
    private static byte[] pattern() {
        final byte[] b = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                final int i = (y * W + x) * 3;
                b[i] = (byte) ((37 * x + 11 * y * y) % 256);
                b[i + 1] = (byte) (((255 - 30 * x + 7 * y) % 256 + 256) % 256);
                b[i + 2] = (byte) ((x * y * 13 + 90) % 256);
            }
        }
        return b;
    }

    /** Resizes with the preprocessor and returns packed RGB values (HWC), as Pillow gives them. */
    private static int[] resize(
            final Resample r,
            final int outW,
            final int outH,
            final Region region,
            final PixelFormat format,
            final byte[] src) {
        final ImagePreprocessor pre = new ImagePreprocessor(outH, outW, ChannelOrder.RGB, RAW, r);
        final FloatBuffer fb = pre.allocate(1);
        pre.preprocess(ByteBuffer.wrap(src), W, H, W * 3, format, region, fb, 0);
        final int plane = outW * outH;
        final int[] out = new int[plane * 3];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                out[i * 3 + c] = Math.round(fb.get(c * plane + i));
            }
        }
        return out;
    }

    private static int[] resize(final Resample r, final int outW, final int outH) {
        return resize(r, outW, outH, Region.full(W, H), PixelFormat.RGB24, pattern());
    }

    @Test
    void bicubicShrinkMatchesPillow() {
        assertArrayEquals(BICUBICDOWN, resize(Resample.PIL_BICUBIC, 3, 2));
    }

    @Test
    void bilinearShrinkMatchesPillow() {
        assertArrayEquals(BILINEARDOWN, resize(Resample.PIL_BILINEAR, 3, 2));
    }

    @Test
    void bicubicEnlargeMatchesPillowIncludingClipping() {
        assertArrayEquals(BICUBICUP, resize(Resample.PIL_BICUBIC, 9, 6));
    }

    @Test
    void oneAxisOnlyMatchesPillow() {
        assertArrayEquals(BILINEARWIDTHONLY, resize(Resample.PIL_BILINEAR, 4, 5));
        assertArrayEquals(BICUBICHEIGHTONLY, resize(Resample.PIL_BICUBIC, 7, 3));
    }

    @Test
    void regionIsPillowsBoxWithTapsOutsideIt() {
        assertArrayEquals(
                BICUBICBOX, resize(Resample.PIL_BICUBIC, 4, 3, new Region(1, 1, 6, 4), PixelFormat.RGB24, pattern()));
    }

    @Test
    void bgrSourceGivesTheSameRgbPlanes() {
        final byte[] rgb = pattern();
        final byte[] bgr = rgb.clone();
        for (int i = 0; i < bgr.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 2] = rgb[i];
        }
        assertArrayEquals(BICUBICDOWN, resize(Resample.PIL_BICUBIC, 3, 2, Region.full(W, H), PixelFormat.BGR24, bgr));
    }

    @Test
    void inputAlreadyAtTheModelSizeIsCopiedNotResampled() {
        final byte[] src = pattern();
        final int[] expected = new int[src.length];
        for (int i = 0; i < src.length; i++) {
            expected[i] = src[i] & 0xff;
        }
        for (final Resample r : Resample.values()) {
            assertArrayEquals(expected, resize(r, W, H), r.toString());
        }
    }
}
