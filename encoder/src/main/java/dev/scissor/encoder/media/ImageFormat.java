package dev.scissor.encoder.media;

import java.util.Locale;
import java.util.Optional;

/**
 * The image encodings a {@code VideoFrame} may carry in its {@code image} field, by the name
 * written in its {@code pixelFormat} field.
 */
public enum ImageFormat {
    /** A JPEG (JFIF) file; what capture writes. */
    JPEG("jpeg"),
    /** A PNG file. */
    PNG("png"),
    /** Raw packed blue-green-red bytes, {@code height * width * 3}, row-major, no padding. */
    BGR24("bgr24");

    private final String wireName;

    ImageFormat(final String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name used in {@code VideoFrame.pixelFormat}.
     *
     * @return e.g. {@code jpeg}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * Looks a format up by its wire name, case-insensitively; {@code jpg} is taken as {@code jpeg}.
     *
     * @param name the name
     * @return the format, or empty if unknown
     */
    public static Optional<ImageFormat> byName(final String name) {
        if (name == null) {
            return Optional.empty();
        }
        final String n = name.strip().toLowerCase(Locale.ROOT);
        for (final ImageFormat f : values()) {
            if (f.wireName.equals(n)) {
                return Optional.of(f);
            }
        }
        return n.equals("jpg") ? Optional.of(JPEG) : Optional.empty();
    }
}
