package dev.scissor.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.Normalization;
import dev.scissor.encoder.onnx.ImagePreprocessor.PixelFormat;
import dev.scissor.encoder.onnx.ImagePreprocessor.Region;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {

    private static final float EPS = 1e-6f;

    /** A w x h RGB24 image where pixel (x, y) = (r, g, b) given by the function below. */
    private static byte[] rgb(final int w, final int h, final int stride) {
        final byte[] b = new byte[stride * h];
        java.util.Arrays.fill(b, (byte) 0x5a); // padding garbage
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                b[y * stride + 3 * x] = (byte) r(x, y);
                b[y * stride + 3 * x + 1] = (byte) g(x, y);
                b[y * stride + 3 * x + 2] = (byte) bl(x, y);
            }
        }
        return b;
    }

    private static int r(final int x, final int y) {
        return 10 * x + 40 * y;
    }

    private static int g(final int x, final int y) {
        return 200 - 20 * x;
    }

    private static int bl(final int x, final int y) {
        return 255 - 50 * y;
    }

    private static byte[] rgbToBgr(final byte[] rgb) {
        final byte[] out = rgb.clone();
        for (int i = 0; i + 2 < out.length; i += 3) {
            out[i] = rgb[i + 2];
            out[i + 2] = rgb[i];
        }
        return out;
    }

    private static float[] floats(final FloatBuffer fb) {
        final float[] v = new float[fb.capacity()];
        fb.duplicate().clear().get(v);
        return v;
    }

    private static ImagePreprocessor unit(final int h, final int w) {
        return new ImagePreprocessor(h, w, ChannelOrder.RGB, Normalization.UNIT);
    }

    @Test
    void sameSizeCopiesPixelsIntoNchwPlanesScaledToUnitRange() {
        final byte[] img = rgb(3, 2, 9);
        final float[] out = floats(unit(2, 3).preprocess(img, 3, 2, 9, PixelFormat.RGB24));
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                assertEquals(r(x, y) / 255f, out[y * 3 + x], EPS);
                assertEquals(g(x, y) / 255f, out[6 + y * 3 + x], EPS);
                assertEquals(bl(x, y) / 255f, out[12 + y * 3 + x], EPS);
            }
        }
    }

    @Test
    void bgrSourceAndBgrModelOrderAreHonoured() {
        final byte[] img = rgb(3, 2, 9);
        final float[] fromRgb = floats(unit(2, 3).preprocess(img, 3, 2, 9, PixelFormat.RGB24));
        final float[] fromBgr = floats(unit(2, 3).preprocess(rgbToBgr(img), 3, 2, 9, PixelFormat.BGR24));
        assertArrayEquals(fromRgb, fromBgr, EPS);
        final float[] bgrPlanes = floats(new ImagePreprocessor(2, 3, ChannelOrder.BGR, Normalization.UNIT)
                .preprocess(img, 3, 2, 9, PixelFormat.RGB24));
        for (int i = 0; i < 6; i++) {
            assertEquals(fromRgb[i], bgrPlanes[12 + i], EPS); // red is the last plane
            assertEquals(fromRgb[12 + i], bgrPlanes[i], EPS);
        }
    }

    @Test
    void strideWithPaddingAndBufferPositionAreRespected() {
        final byte[] padded = rgb(3, 2, 16);
        final float[] a = floats(unit(2, 3).preprocess(rgb(3, 2, 9), 3, 2, 9, PixelFormat.RGB24));
        final float[] b = floats(unit(2, 3).preprocess(padded, 3, 2, 16, PixelFormat.RGB24));
        assertArrayEquals(a, b, EPS);
        final byte[] shifted = new byte[padded.length + 7];
        System.arraycopy(padded, 0, shifted, 7, padded.length);
        final ImagePreprocessor pre = unit(2, 3);
        final FloatBuffer dst = pre.allocate(1);
        pre.preprocess(ByteBuffer.wrap(shifted).position(7), 3, 2, 16, PixelFormat.RGB24, dst, 0);
        assertArrayEquals(a, floats(dst), EPS);
    }

    @Test
    void upscalesBilinearlyWithHalfPixelCentres() {
        // 2x1 image, red 0 and 100 -> 4x1: sample x = (ox + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
        final byte[] img = {0, 0, 0, 100, 0, 0};
        final float[] out = floats(unit(1, 4).preprocess(img, 2, 1, 6, PixelFormat.RGB24));
        assertArrayEquals(new float[] {0, 25 / 255f, 75 / 255f, 100 / 255f}, java.util.Arrays.copyOf(out, 4), EPS);
    }

    @Test
    void downscalingByTwoAveragesEachTwoByTwoBlock() {
        final byte[] img = rgb(4, 4, 12);
        final float[] out = floats(unit(2, 2).preprocess(img, 4, 4, 12, PixelFormat.RGB24));
        for (int oy = 0; oy < 2; oy++) {
            for (int ox = 0; ox < 2; ox++) {
                float sum = 0;
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        sum += r(2 * ox + dx, 2 * oy + dy);
                    }
                }
                assertEquals(sum / 4 / 255f, out[oy * 2 + ox], EPS);
            }
        }
    }

    @Test
    void cropsARegionAndWritesTheRequestedBatchSlot() {
        final byte[] img = rgb(4, 4, 12);
        final ImagePreprocessor pre = unit(2, 2);
        final FloatBuffer batch = pre.allocate(2);
        pre.preprocess(ByteBuffer.wrap(img), 4, 4, 12, PixelFormat.RGB24, new Region(2, 1, 4, 3), batch, 1);
        final float[] v = floats(batch);
        for (int i = 0; i < 12; i++) {
            assertEquals(0f, v[i], "slot 0 untouched");
        }
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                assertEquals(r(2 + x, 1 + y) / 255f, v[12 + y * 2 + x], EPS);
                assertEquals(bl(2 + x, 1 + y) / 255f, v[12 + 8 + y * 2 + x], EPS);
            }
        }
        assertTrue(batch.isDirect());
    }

    @Test
    void appliesMeanAndStdPerChannel() {
        final byte[] img = {0, (byte) 255, (byte) 128};
        final float[] siglip = floats(new ImagePreprocessor(1, 1, ChannelOrder.RGB, Normalization.SIGLIP)
                .preprocess(img, 1, 1, 3, PixelFormat.RGB24));
        assertArrayEquals(new float[] {-1f, 1f, (128 / 255f - 0.5f) / 0.5f}, siglip, 1e-6f);
        final Normalization imagenet =
                new Normalization(1 / 255f, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
        final float[] v = floats(
                new ImagePreprocessor(1, 1, ChannelOrder.RGB, imagenet).preprocess(img, 1, 1, 3, PixelFormat.RGB24));
        assertEquals((0 - 0.485f) / 0.229f, v[0], 1e-5);
        assertEquals((1 - 0.456f) / 0.224f, v[1], 1e-5);
        final ImagePreprocessor fromDescriptor =
                ImagePreprocessor.forDescriptor(EncoderModelDescriptor.defaultDescriptor());
        assertEquals(224, fromDescriptor.outHeight());
        assertEquals(3 * 224 * 224, fromDescriptor.floatsPerFrame());
    }

    @Test
    void rejectsInconsistentArguments() {
        final ImagePreprocessor pre = unit(2, 2);
        final FloatBuffer one = pre.allocate(1);
        final ByteBuffer img = ByteBuffer.wrap(new byte[4 * 4 * 3]);
        assertMessage(() -> pre.preprocess(img, 4, 4, 11, PixelFormat.RGB24, one, 0), "stride 11");
        assertMessage(() -> pre.preprocess(img, 4, 5, 12, PixelFormat.RGB24, one, 0), "needs 60");
        assertMessage(() -> pre.preprocess(img, 4, 4, 12, PixelFormat.RGB24, one, 1), "frame slot 1 does not fit");
        assertMessage(
                () -> pre.preprocess(img, 4, 4, 12, PixelFormat.RGB24, new Region(0, 0, 5, 4), one, 0),
                "exceeds the 4x4 frame");
        assertMessage(() -> new Region(2, 2, 2, 3), "bad region");
    }

    private static void assertMessage(final Runnable r, final String expected) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
