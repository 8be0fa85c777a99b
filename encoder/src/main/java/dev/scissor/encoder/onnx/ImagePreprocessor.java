package dev.scissor.encoder.onnx;

import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.EncoderModelDescriptor.Resample;
import dev.scissor.encoder.model.Normalization;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Turns packed 8-bit frames into the normalised NCHW float input of an encoder: optional crop,
 * resize, channel reordering and per-channel normalisation.
 *
 * <p>The resize is the descriptor's {@link Resample}: {@link Resample#BILINEAR} is bilinear with
 * half-pixel centres (TF {@code resize_bilinear(half_pixel_centers=True)}, no antialiasing; the
 * built-in encoders); {@link Resample#PIL_BILINEAR} and {@link Resample#PIL_BICUBIC} are Pillow's
 * {@code Image.resize} filters, bit for bit (antialiased when shrinking, 8-bit result), as the
 * Hugging Face image processors of SigLIP / LLaVA-OneVision use them. A frame (or region) that
 * already has the input size is copied, never resampled.
 *
 * <p>This is a pure function of its configuration and arguments, with no model and no mutable
 * state, so one instance may be shared between threads. Frames are written at {@code index * 3 *
 * H * W} into a (preferably direct) {@link FloatBuffer} that holds a whole batch, which can be
 * handed to {@link OnnxVisionEncoder#encode(FloatBuffer, int)} without copying.
 *
 * <pre>{@code
 * ImagePreprocessor pre = ImagePreprocessor.forDescriptor(descriptor);
 * FloatBuffer batch = pre.allocate(8);
 * for (int i = 0; i < 8; i++) {
 *   pre.preprocess(frames[i].image, 640, 360, 640 * 3, PixelFormat.BGR24, batch, i);
 * }
 * float[][] tokens = encoder.encode(batch, 8);
 * }</pre>
 */
public final class ImagePreprocessor {

    /** Packed 8-bit, 3-channel source layouts. */
    public enum PixelFormat {
        /** Blue, green, red bytes per pixel (FFmpeg {@code bgr24}, OpenCV, JavaCV default). */
        BGR24,
        /** Red, green, blue bytes per pixel. */
        RGB24;

        /** Byte offset of red, green and blue within a pixel. */
        int offsetOf(final int rgbIndex) {
            return this == RGB24 ? rgbIndex : 2 - rgbIndex;
        }
    }

    /**
     * A box in source pixels, half-open: columns {@code x0 <= x < x1}, rows {@code y0 <= y < y1}.
     *
     * @param x0 left column (inclusive)
     * @param y0 top row (inclusive)
     * @param x1 right column (exclusive)
     * @param y1 bottom row (exclusive)
     */
    public record Region(int x0, int y0, int x1, int y1) {
        // Validates the box.
        public Region {
            if (x0 < 0 || y0 < 0 || x1 <= x0 || y1 <= y0) {
                throw new IllegalArgumentException("bad region (" + x0 + "," + y0 + ")-(" + x1 + "," + y1 + ")");
            }
        }

        /**
         * The whole frame.
         *
         * @param width frame width
         * @param height frame height
         * @return the region covering it
         */
        public static Region full(final int width, final int height) {
            return new Region(0, 0, width, height);
        }
    }

    private final int outHeight;
    private final int outWidth;
    private final ChannelOrder channelOrder;
    private final Normalization normalization;
    private final Resample resample;
    /** Per model plane: multiply and add applied to the interpolated 0..255 value. */
    private final float[] mul = new float[3];

    private final float[] add = new float[3];

    /**
     * Creates a preprocessor.
     *
     * @param outHeight model input height
     * @param outWidth model input width
     * @param channelOrder plane order of the model input
     * @param normalization how pixel values are scaled (per plane, in model order)
     */
    public ImagePreprocessor(
            final int outHeight,
            final int outWidth,
            final ChannelOrder channelOrder,
            final Normalization normalization) {
        this(outHeight, outWidth, channelOrder, normalization, Resample.BILINEAR);
    }

    /**
     * Creates a preprocessor with a given resampling filter.
     *
     * @param outHeight model input height
     * @param outWidth model input width
     * @param channelOrder plane order of the model input
     * @param normalization how pixel values are scaled (per plane, in model order)
     * @param resample how frames are resized to the input size
     */
    public ImagePreprocessor(
            final int outHeight,
            final int outWidth,
            final ChannelOrder channelOrder,
            final Normalization normalization,
            final Resample resample) {
        this.resample = Objects.requireNonNull(resample, "resample");
        if (outHeight <= 0 || outWidth <= 0) {
            throw new IllegalArgumentException("output size must be positive: " + outWidth + "x" + outHeight);
        }
        this.outHeight = outHeight;
        this.outWidth = outWidth;
        this.channelOrder = Objects.requireNonNull(channelOrder, "channelOrder");
        this.normalization = Objects.requireNonNull(normalization, "normalization");
        final float[] mean = normalization.mean();
        final float[] std = normalization.std();
        for (int p = 0; p < 3; p++) {
            mul[p] = normalization.scale() / std[p];
            add[p] = -mean[p] / std[p];
        }
    }

    /**
     * A preprocessor for an encoder's input size, channel order and normalisation.
     *
     * @param d the descriptor
     * @return the preprocessor
     */
    public static ImagePreprocessor forDescriptor(final EncoderModelDescriptor d) {
        return new ImagePreprocessor(
                d.inputHeight(), d.inputWidth(), d.channelOrder(), d.normalization(), d.resample());
    }

    /**
     * Floats per frame.
     *
     * @return {@code 3 * H * W}
     */
    public int floatsPerFrame() {
        return 3 * outHeight * outWidth;
    }

    /**
     * Allocates a direct, native-order buffer for {@code batch} frames.
     *
     * @param batch number of frames
     * @return the buffer, position 0, limit = capacity
     */
    public FloatBuffer allocate(final int batch) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive");
        }
        return ByteBuffer.allocateDirect(4 * batch * floatsPerFrame())
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /**
     * Preprocesses one whole frame into a new single-frame buffer.
     *
     * @param src packed pixels, row {@code y} starting at byte {@code y * stride}
     * @param width frame width
     * @param height frame height
     * @param stride bytes per row (at least {@code 3 * width})
     * @param format byte order of the pixels
     * @return a direct buffer holding {@code [1,3,H,W]}
     */
    public FloatBuffer preprocess(
            final byte[] src, final int width, final int height, final int stride, final PixelFormat format) {
        final FloatBuffer dst = allocate(1);
        preprocess(ByteBuffer.wrap(src), width, height, stride, format, Region.full(width, height), dst, 0);
        return dst;
    }

    /**
     * Preprocesses one whole frame into slot {@code index} of a batch buffer.
     *
     * @param src packed pixels; row {@code y} starts at {@code src.position() + y * stride}
     * @param width frame width
     * @param height frame height
     * @param stride bytes per row (at least {@code 3 * width})
     * @param format byte order of the pixels
     * @param dst batch buffer (absolute indexing from 0)
     * @param index frame slot in {@code dst}
     */
    public void preprocess(
            final ByteBuffer src,
            final int width,
            final int height,
            final int stride,
            final PixelFormat format,
            final FloatBuffer dst,
            final int index) {
        preprocess(src, width, height, stride, format, Region.full(width, height), dst, index);
    }

    /**
     * Preprocesses a region of a frame into slot {@code index} of a batch buffer. The region is
     * resized to the model input size (aspect ratio is not kept).
     *
     * @param src packed pixels; row {@code y} starts at {@code src.position() + y * stride}
     * @param width frame width
     * @param height frame height
     * @param stride bytes per row (at least {@code 3 * width})
     * @param format byte order of the pixels
     * @param region the box to take, in source pixels
     * @param dst batch buffer (absolute indexing from 0)
     * @param index frame slot in {@code dst}
     * @throws IllegalArgumentException if sizes, region or buffers are inconsistent
     */
    public void preprocess(
            final ByteBuffer src,
            final int width,
            final int height,
            final int stride,
            final PixelFormat format,
            final Region region,
            final FloatBuffer dst,
            final int index) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("frame size must be positive: " + width + "x" + height);
        }
        if (stride < 3 * width) {
            throw new IllegalArgumentException("stride " + stride + " < 3 * width " + 3 * width);
        }
        final int base = src.position();
        final long needed = (long) (height - 1) * stride + 3L * width;
        if (src.limit() - base < needed) {
            throw new IllegalArgumentException("source buffer has " + (src.limit() - base)
                    + " bytes, a " + width + "x" + height + " frame with stride " + stride + " needs "
                    + needed);
        }
        if (region.x1() > width || region.y1() > height) {
            throw new IllegalArgumentException("region " + region + " exceeds the " + width + "x" + height + " frame");
        }
        final int plane = outHeight * outWidth;
        if (index < 0 || (long) (index + 1) * 3 * plane > dst.capacity()) {
            throw new IllegalArgumentException("frame slot " + index + " does not fit a buffer of " + dst.capacity()
                    + " floats (" + 3 * plane + " per frame)");
        }
        final int rw = region.x1() - region.x0();
        final int rh = region.y1() - region.y0();
        final int[] src0 = new int[3];
        for (int p = 0; p < 3; p++) {
            final int rgb = channelOrder == ChannelOrder.RGB ? p : 2 - p;
            src0[p] = format.offsetOf(rgb);
        }
        final int out0 = index * 3 * plane;
        if (rw == outWidth && rh == outHeight) {
            copy(src, base + region.y0() * stride + region.x0() * 3, stride, src0, dst, out0);
            return;
        }
        if (resample != Resample.BILINEAR) {
            final byte[] r = PilResize.resize(
                    src,
                    base,
                    width,
                    height,
                    stride,
                    region.x0(),
                    region.y0(),
                    region.x1(),
                    region.y1(),
                    outWidth,
                    outHeight,
                    resample == Resample.PIL_BICUBIC ? PilResize.Filter.BICUBIC : PilResize.Filter.BILINEAR);
            copy(ByteBuffer.wrap(r), 0, 3 * outWidth, src0, dst, out0);
            return;
        }
        final int[] xa = new int[outWidth];
        final int[] xb = new int[outWidth];
        final float[] fx = new float[outWidth];
        for (int ox = 0; ox < outWidth; ox++) {
            final float sx = clamp((ox + 0.5f) * rw / outWidth - 0.5f, rw - 1);
            final int i0 = (int) sx;
            final int i1 = Math.min(i0 + 1, rw - 1);
            fx[ox] = sx - i0;
            xa[ox] = (region.x0() + i0) * 3;
            xb[ox] = (region.x0() + i1) * 3;
        }
        for (int oy = 0; oy < outHeight; oy++) {
            final float sy = clamp((oy + 0.5f) * rh / outHeight - 0.5f, rh - 1);
            final int j0 = (int) sy;
            final int j1 = Math.min(j0 + 1, rh - 1);
            final float fy = sy - j0;
            final int rowA = base + (region.y0() + j0) * stride;
            final int rowB = base + (region.y0() + j1) * stride;
            for (int p = 0; p < 3; p++) {
                final int c = src0[p];
                final float m = mul[p];
                final float a = add[p];
                final int outRow = out0 + p * plane + oy * outWidth;
                for (int ox = 0; ox < outWidth; ox++) {
                    final float w = fx[ox];
                    final float top = lerp(src.get(rowA + xa[ox] + c) & 0xff, src.get(rowA + xb[ox] + c) & 0xff, w);
                    final float bottom = lerp(src.get(rowB + xa[ox] + c) & 0xff, src.get(rowB + xb[ox] + c) & 0xff, w);
                    dst.put(outRow + ox, lerp(top, bottom, fy) * m + a);
                }
            }
        }
    }

    /** Normalises an {@code outWidth x outHeight} block of packed pixels without resampling. */
    private void copy(
            final ByteBuffer src,
            final int first,
            final int stride,
            final int[] src0,
            final FloatBuffer dst,
            final int out0) {
        final int plane = outHeight * outWidth;
        for (int oy = 0; oy < outHeight; oy++) {
            final int row = first + oy * stride;
            for (int p = 0; p < 3; p++) {
                final int c = src0[p];
                final float m = mul[p];
                final float a = add[p];
                final int outRow = out0 + p * plane + oy * outWidth;
                for (int ox = 0; ox < outWidth; ox++) {
                    dst.put(outRow + ox, (src.get(row + ox * 3 + c) & 0xff) * m + a);
                }
            }
        }
    }

    private static float clamp(final float v, final int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }

    private static float lerp(final float a, final float b, final float t) {
        return a + (b - a) * t;
    }

    /**
     * Model input height.
     *
     * @return H
     */
    public int outHeight() {
        return outHeight;
    }

    /**
     * Model input width.
     *
     * @return W
     */
    public int outWidth() {
        return outWidth;
    }

    /**
     * The resampling filter.
     *
     * @return the filter
     */
    public Resample resample() {
        return resample;
    }

    /**
     * The normalisation applied.
     *
     * @return the normalisation
     */
    public Normalization normalization() {
        return normalization;
    }
}
