package dev.scissor.encoder.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** JPEG and PNG through FFmpeg's coders: round trips, and what happens to bad images. */
class FfmpegImageCodecTest {

    private static final int W = 96;
    private static final int H = 64;

    private FfmpegImageDecoder decoder;

    @BeforeEach
    void open() {
        decoder = new FfmpegImageDecoder(4096L * 4096, 1 << 20);
    }

    @AfterEach
    void close() {
        decoder.close();
    }

    /** A smooth BGR test pattern. */
    static byte[] pattern(final int w, final int h) {
        final byte[] bgr = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                final int o = 3 * (y * w + x);
                bgr[o] = (byte) (2 * x);
                bgr[o + 1] = (byte) (3 * y);
                bgr[o + 2] = (byte) (x + y);
            }
        }
        return bgr;
    }

    private static byte[] bytes(final DecodedImage img) {
        final byte[] out = new byte[3 * img.width() * img.height()];
        for (int y = 0; y < img.height(); y++) {
            img.pixels().get(y * img.stride(), out, 3 * y * img.width(), 3 * img.width());
        }
        return out;
    }

    private static double meanAbsDiff(final byte[] a, final byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return (double) sum / a.length;
    }

    private static byte[] imageIo(final byte[] bgr, final String format) throws Exception {
        final BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        System.arraycopy(bgr, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, bgr.length);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }

    @Test
    void jpegRoundTripThroughFfmpeg() throws Exception {
        final byte[] bgr = pattern(W, H);
        final byte[] jpeg;
        try (FfmpegJpegEncoder enc = new FfmpegJpegEncoder(FfmpegJpegEncoder.DEFAULT_QSCALE)) {
            jpeg = enc.encode(bgr, W, H);
            assertArrayEquals(jpeg, enc.encode(bgr, W, H), "same frame, same bytes");
            assertEquals(
                    new ImageHeaders.Size(W / 2, H / 2),
                    ImageHeaders.declaredSize(
                                    ImageFormat.JPEG, ByteBuffer.wrap(enc.encode(pattern(W / 2, H / 2), W / 2, H / 2)))
                            .orElseThrow(),
                    "the encoder follows a change of size");
        }
        assertEquals(0xd8ff, (jpeg[1] & 0xff) << 8 | (jpeg[0] & 0xff));
        assertEquals(
                new ImageHeaders.Size(W, H),
                ImageHeaders.declaredSize(ImageFormat.JPEG, ByteBuffer.wrap(jpeg))
                        .orElseThrow());
        final DecodedImage img = decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(jpeg), 0, 0);
        assertEquals(W, img.width());
        assertEquals(H, img.height());
        assertEquals(3 * W, img.stride());
        final double err = meanAbsDiff(bgr, bytes(img));
        assertTrue(err < 4, "mean abs error " + err);
    }

    @Test
    void theQuantiserScaleTradesSizeForQuality() throws Exception {
        final byte[] bgr = pattern(W, H);
        for (int i = 0; i < bgr.length; i += 7) {
            bgr[i] = (byte) (bgr[i] ^ (i * 13)); // detail, so that quantisation shows
        }
        try (FfmpegJpegEncoder best = new FfmpegJpegEncoder(2);
                FfmpegJpegEncoder worst = new FfmpegJpegEncoder(25)) {
            final byte[] large = best.encode(bgr, W, H);
            final byte[] small = worst.encode(bgr, W, H);
            assertTrue(large.length > 2 * small.length, large.length + " vs " + small.length + " bytes");
            final double errBest =
                    meanAbsDiff(bgr, bytes(decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(large), 0, 0)));
            final double errWorst =
                    meanAbsDiff(bgr, bytes(decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(small), 0, 0)));
            assertTrue(errBest < errWorst, errBest + " vs " + errWorst);
        }
    }

    @Test
    void decodesImageIoJpegAndPngLosslessly() throws Exception {
        final byte[] bgr = pattern(W, H);
        final DecodedImage png = decoder.decode(ImageFormat.PNG, ByteBuffer.wrap(imageIo(bgr, "png")), 0, 0);
        assertArrayEquals(bgr, bytes(png));
        final DecodedImage jpeg = decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(imageIo(bgr, "jpeg")), 0, 0);
        assertTrue(meanAbsDiff(bgr, bytes(jpeg)) < 6);
        try (ImageIoJpegEncoder enc = new ImageIoJpegEncoder(0.9f)) {
            final DecodedImage again = decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(enc.encode(bgr, W, H)), 0, 0);
            assertTrue(meanAbsDiff(bgr, bytes(again)) < 4);
        }
    }

    @Test
    void rawBgrPassesThroughWithItsSizeChecked() throws Exception {
        final byte[] bgr = pattern(W, H);
        final DecodedImage img = decoder.decode(ImageFormat.BGR24, ByteBuffer.wrap(bgr), W, H);
        assertArrayEquals(bgr, bytes(img));
        final ImageDecodeException e = assertThrows(
                ImageDecodeException.class, () -> decoder.decode(ImageFormat.BGR24, ByteBuffer.wrap(bgr), W, H + 1));
        assertEquals(ImageDecodeException.Kind.SIZE_MISMATCH, e.kind());
    }

    @Test
    void corruptImagesAreRefusedAndTheDecoderGoesOn() throws Exception {
        final byte[] jpeg;
        try (FfmpegJpegEncoder enc = new FfmpegJpegEncoder(5)) {
            jpeg = enc.encode(pattern(W, H), W, H);
        }
        final byte[] garbage = "this is not an image at all".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final byte[] headerOnly = Arrays.copyOf(jpeg, 120);
        final byte[] scrambled = jpeg.clone();
        for (int i = 20; i < 400; i++) {
            scrambled[i] = (byte) (i * 7);
        }
        for (final byte[] bad : new byte[][] {garbage, headerOnly, scrambled, new byte[0]}) {
            final ImageDecodeException e = assertThrows(
                    ImageDecodeException.class, () -> decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(bad), 0, 0));
            assertEquals(ImageDecodeException.Kind.CORRUPT, e.kind(), e.getMessage());
        }
        assertThrows(ImageDecodeException.class, () -> decoder.decode(ImageFormat.PNG, ByteBuffer.wrap(jpeg), 0, 0));
        assertEquals(
                W, decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(jpeg), 0, 0).width());
    }

    @Test
    void oversizedImagesAreRefusedBeforeDecoding() throws Exception {
        final byte[] jpeg;
        try (FfmpegJpegEncoder enc = new FfmpegJpegEncoder(5)) {
            jpeg = enc.encode(pattern(W, H), W, H);
        }
        final byte[] huge = jpeg.clone();
        final int sof = sofOffset(huge);
        huge[sof + 5] = (byte) 0xea; // height 60000
        huge[sof + 6] = (byte) 0x60;
        huge[sof + 7] = (byte) 0xea; // width 60000
        huge[sof + 8] = (byte) 0x60;
        final ImageDecodeException pixels = assertThrows(
                ImageDecodeException.class, () -> decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(huge), 0, 0));
        assertEquals(ImageDecodeException.Kind.TOO_LARGE, pixels.kind());
        assertTrue(pixels.getMessage().contains("60000x60000"), pixels.getMessage());
        try (FfmpegImageDecoder small = new FfmpegImageDecoder(1 << 20, 100)) {
            final ImageDecodeException size = assertThrows(
                    ImageDecodeException.class, () -> small.decode(ImageFormat.JPEG, ByteBuffer.wrap(jpeg), 0, 0));
            assertEquals(ImageDecodeException.Kind.TOO_LARGE, size.kind());
        }
    }

    /** Offset of the SOF0 marker, walking the segments as a decoder does. */
    private static int sofOffset(final byte[] jpeg) {
        int p = 2;
        while (p + 4 <= jpeg.length) {
            final int marker = jpeg[p + 1] & 0xff;
            if (marker == 0xc0) {
                return p;
            }
            p += 2 + (((jpeg[p + 2] & 0xff) << 8) | (jpeg[p + 3] & 0xff));
        }
        throw new AssertionError("no SOF0 marker");
    }

    @Test
    void headersOfTruncatedOrForeignDataHaveNoSize() {
        assertTrue(ImageHeaders.declaredSize(
                        ImageFormat.JPEG, ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}))
                .isEmpty());
        assertTrue(ImageHeaders.declaredSize(ImageFormat.PNG, ByteBuffer.wrap(new byte[30]))
                .isEmpty());
        assertTrue(ImageHeaders.declaredSize(
                        ImageFormat.JPEG,
                        ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 1}))
                .isEmpty());
    }

    @Test
    void formatNames() {
        assertEquals(ImageFormat.JPEG, ImageFormat.byName("JPG").orElseThrow());
        assertEquals(ImageFormat.BGR24, ImageFormat.byName("bgr24").orElseThrow());
        assertTrue(ImageFormat.byName("webp").isEmpty());
        assertTrue(ImageFormat.byName(null).isEmpty());
    }
}
