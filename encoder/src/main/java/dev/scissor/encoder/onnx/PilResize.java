package dev.scissor.encoder.onnx;

import java.nio.ByteBuffer;

/**
 * Pillow's {@code Image.resize} for 8-bit images, bit for bit: a separable convolution whose
 * kernel is stretched by the scale factor when shrinking (so it antialiases), with the
 * coefficients in 22-bit fixed point and the result rounded and clipped to 8 bits after each
 * pass (horizontal first). This is a port of {@code libImaging/Resample.c} (Pillow 12): {@code
 * precompute_coeffs}, {@code normalize_coeffs_8bpc}, {@code ImagingResampleHorizontal_8bpc},
 * {@code ImagingResampleVertical_8bpc} and {@code ImagingResampleInner}.
 *
 * <p>Hugging Face image processors with the PIL backend (the SigLIP / LLaVA-OneVision ones when
 * torchvision is absent) resize this way before rescaling and normalising, so the same pixels in
 * give the same model input.
 */
final class PilResize {

    /** Pillow's resampling filters supported here. */
    enum Filter {
        /** Triangle filter, support 1 ({@code Image.BILINEAR}). */
        BILINEAR(1.0),
        /** Keys cubic with a = -0.5, support 2 ({@code Image.BICUBIC}). */
        BICUBIC(2.0);

        final double support;

        Filter(final double support) {
            this.support = support;
        }

        double apply(final double v) {
            final double x = v < 0 ? -v : v;
            if (this == BILINEAR) {
                return x < 1.0 ? 1.0 - x : 0.0;
            }
            final double a = -0.5;
            if (x < 1.0) {
                return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            }
            if (x < 2.0) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0.0;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    /** Per output pixel: first source index, tap count, and fixed-point taps. */
    private record Coeffs(int ksize, int[] bounds, int[] kk) {}

    private PilResize() {}

    private static Coeffs coeffs(
            final int inSize, final double in0, final double in1, final int outSize, final Filter filter) {
        final double scale = (in1 - in0) / outSize;
        final double filterscale = Math.max(scale, 1.0);
        final double support = filter.support * filterscale;
        final int ksize = (int) Math.ceil(support) * 2 + 1;
        final double[] k = new double[outSize * ksize];
        final int[] bounds = new int[outSize * 2];
        for (int xx = 0; xx < outSize; xx++) {
            final double center = in0 + (xx + 0.5) * scale;
            final double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            double ww = 0.0;
            final int o = xx * ksize;
            for (int x = 0; x < xmax; x++) {
                final double w = filter.apply((x + xmin - center + 0.5) * ss);
                k[o + x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                if (ww != 0.0) {
                    k[o + x] /= ww;
                }
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        final int[] kk = new int[k.length];
        for (int i = 0; i < k.length; i++) {
            kk[i] = k[i] < 0 ? (int) (-0.5 + k[i] * (1 << PRECISION_BITS)) : (int) (0.5 + k[i] * (1 << PRECISION_BITS));
        }
        return new Coeffs(ksize, bounds, kk);
    }

    private static int clip8(final int v) {
        final int s = v >> PRECISION_BITS;
        return s < 0 ? 0 : Math.min(s, 255);
    }

    /**
     * Resizes the box {@code [x0,x1) x [y0,y1)} of a packed 3-byte-per-pixel image to {@code outW x
     * outH}, as {@code img.resize((outW, outH), filter, box=(x0, y0, x1, y1))} does. Taps may reach
     * outside the box (within the image), as in Pillow.
     *
     * @param src pixels; row {@code y} starts at {@code base + y * stride}
     * @param base offset of row 0 in {@code src}
     * @param width image width
     * @param height image height
     * @param stride bytes per row
     * @param x0 box left
     * @param y0 box top
     * @param x1 box right (exclusive)
     * @param y1 box bottom (exclusive)
     * @param outW output width
     * @param outH output height
     * @param filter the filter
     * @return packed 3-byte pixels of the result, {@code 3 * outW} bytes per row, channels in the
     *     source's order
     */
    static byte[] resize(
            final ByteBuffer src,
            final int base,
            final int width,
            final int height,
            final int stride,
            final int x0,
            final int y0,
            final int x1,
            final int y1,
            final int outW,
            final int outH,
            final Filter filter) {
        final boolean needH = outW != width || x0 != 0 || x1 != outW;
        final boolean needV = outH != height || y0 != 0 || y1 != outH;
        final Coeffs ch = coeffs(width, x0, x1, outW, filter);
        final Coeffs cv = coeffs(height, y0, y1, outH, filter);
        final int yFirst = cv.bounds[0];
        final int yLast = cv.bounds[outH * 2 - 2] + cv.bounds[outH * 2 - 1];
        // the image after the horizontal pass: rows [yFirst, yLast) of the source, outW wide
        byte[] img;
        int imgW;
        int imgStride;
        int rowOffset;
        if (needH) {
            final int rows = yLast - yFirst;
            img = new byte[rows * outW * 3];
            for (int y = 0; y < rows; y++) {
                final int srow = base + (y + yFirst) * stride;
                final int drow = y * outW * 3;
                for (int xx = 0; xx < outW; xx++) {
                    final int xmin = ch.bounds[xx * 2];
                    final int xmax = ch.bounds[xx * 2 + 1];
                    final int k = xx * ch.ksize;
                    int s0 = HALF;
                    int s1 = HALF;
                    int s2 = HALF;
                    for (int x = 0; x < xmax; x++) {
                        final int p = srow + (x + xmin) * 3;
                        final int w = ch.kk[k + x];
                        s0 += (src.get(p) & 0xff) * w;
                        s1 += (src.get(p + 1) & 0xff) * w;
                        s2 += (src.get(p + 2) & 0xff) * w;
                    }
                    img[drow + xx * 3] = (byte) clip8(s0);
                    img[drow + xx * 3 + 1] = (byte) clip8(s1);
                    img[drow + xx * 3 + 2] = (byte) clip8(s2);
                }
            }
            imgW = outW;
            imgStride = outW * 3;
            rowOffset = yFirst;
        } else {
            img = null;
            imgW = width;
            imgStride = stride;
            rowOffset = 0;
        }
        final byte[] out = new byte[outH * outW * 3];
        if (!needV) {
            for (int y = 0; y < outH; y++) {
                for (int i = 0; i < outW * 3; i++) {
                    out[y * outW * 3 + i] =
                            img != null ? img[(y - rowOffset) * imgStride + i] : src.get(base + y * stride + i);
                }
            }
            return out;
        }
        for (int yy = 0; yy < outH; yy++) {
            final int ymin = cv.bounds[yy * 2] - rowOffset;
            final int ymax = cv.bounds[yy * 2 + 1];
            final int k = yy * cv.ksize;
            for (int i = 0; i < imgW * 3; i++) {
                int s = HALF;
                for (int y = 0; y < ymax; y++) {
                    final int p = (y + ymin) * imgStride + i;
                    s += ((img != null ? img[p] : src.get(base + p)) & 0xff) * cv.kk[k + y];
                }
                out[yy * outW * 3 + i] = (byte) clip8(s);
            }
        }
        return out;
    }
}
