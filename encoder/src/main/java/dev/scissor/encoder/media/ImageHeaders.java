package dev.scissor.encoder.media;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Reads the pixel size that a JPEG or PNG file declares in its header, without decoding it, so
 * that an oversized image can be refused before anything is allocated for it.
 */
public final class ImageHeaders {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private ImageHeaders() {}

    /**
     * A declared image size.
     *
     * @param width pixels per row
     * @param height rows
     */
    public record Size(int width, int height) {
        /**
         * Pixel count.
         *
         * @return {@code width * height}
         */
        public long pixels() {
            return (long) width * height;
        }
    }

    /**
     * The size declared by a JPEG (first SOF marker) or PNG (IHDR chunk) header.
     *
     * @param format {@link ImageFormat#JPEG} or {@link ImageFormat#PNG}
     * @param data the file bytes from {@code data.position()}; the buffer is not modified
     * @return the size, or empty if the header is missing, truncated or malformed
     */
    public static Optional<Size> declaredSize(final ImageFormat format, final ByteBuffer data) {
        final ByteBuffer b = data.slice();
        return switch (format) {
            case JPEG -> jpeg(b);
            case PNG -> png(b);
            case BGR24 -> Optional.empty();
        };
    }

    private static Optional<Size> png(final ByteBuffer b) {
        if (b.remaining() < 24) {
            return Optional.empty();
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (b.get(i) != PNG_SIGNATURE[i]) {
                return Optional.empty();
            }
        }
        if (b.get(12) != 'I' || b.get(13) != 'H' || b.get(14) != 'D' || b.get(15) != 'R') {
            return Optional.empty();
        }
        final int w = b.getInt(16);
        final int h = b.getInt(20);
        return w > 0 && h > 0 ? Optional.of(new Size(w, h)) : Optional.empty();
    }

    private static Optional<Size> jpeg(final ByteBuffer b) {
        final int n = b.remaining();
        if (n < 4 || (b.get(0) & 0xff) != 0xff || (b.get(1) & 0xff) != 0xd8) {
            return Optional.empty();
        }
        int p = 2;
        while (p + 4 <= n) {
            if ((b.get(p) & 0xff) != 0xff) {
                return Optional.empty();
            }
            int marker = b.get(p + 1) & 0xff;
            while (marker == 0xff && p + 2 < n) { // fill bytes
                p++;
                marker = b.get(p + 1) & 0xff;
            }
            p += 2;
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                continue; // stand-alone markers carry no length
            }
            if (marker == 0xd9 || marker == 0xda || p + 2 > n) {
                return Optional.empty(); // end of image or scan data before any frame header
            }
            final int length = ((b.get(p) & 0xff) << 8) | (b.get(p + 1) & 0xff);
            if (length < 2) {
                return Optional.empty();
            }
            final boolean sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (sof) {
                if (p + 7 > n) {
                    return Optional.empty();
                }
                final int h = ((b.get(p + 3) & 0xff) << 8) | (b.get(p + 4) & 0xff);
                final int w = ((b.get(p + 5) & 0xff) << 8) | (b.get(p + 6) & 0xff);
                return w > 0 && h > 0 ? Optional.of(new Size(w, h)) : Optional.empty();
            }
            p += length;
        }
        return Optional.empty();
    }
}
