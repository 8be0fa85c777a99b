package dev.scissor.encoder.media;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * JPEG compression with the JDK's {@code javax.imageio} writer; no native code. Slower than
 * {@link FfmpegJpegEncoder} and kept as the reference for {@code scissor bench-encoder}.
 */
public final class ImageIoJpegEncoder implements JpegEncoder {

    private final float quality;
    private BufferedImage image;

    /**
     * Creates an encoder.
     *
     * @param quality JPEG quality in (0, 1]; ImageIO's default is 0.75
     */
    public ImageIoJpegEncoder(final float quality) {
        if (!(quality > 0 && quality <= 1)) {
            throw new IllegalArgumentException("quality must be in (0, 1], got " + quality);
        }
        this.quality = quality;
    }

    @Override
    public byte[] encode(final byte[] bgr, final int width, final int height) throws IOException {
        if (width <= 0 || height <= 0 || bgr.length < 3L * width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " bgr24 frame needs " + 3L * width * height
                    + " bytes, got " + bgr.length);
        }
        if (image == null || image.getWidth() != width || image.getHeight() != height) {
            image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        }
        final byte[] raster = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        System.arraycopy(bgr, 0, raster, 0, 3 * width * height);
        final ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        final ByteArrayOutputStream out = new ByteArrayOutputStream(width * height / 4);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            final ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        image = null;
    }
}
