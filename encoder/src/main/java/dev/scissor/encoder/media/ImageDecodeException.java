package dev.scissor.encoder.media;

import java.util.Objects;

/** An image that cannot be turned into pixels, with the kind of problem. */
public final class ImageDecodeException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What is wrong with the image. */
    public enum Kind {
        /** The bytes are not a valid image of the declared format (truncated, garbage, bad tables). */
        CORRUPT,
        /** The image is larger (bytes or pixels) than the configured limit. */
        TOO_LARGE,
        /** The declared format is not one this decoder handles. */
        UNSUPPORTED_FORMAT,
        /** Raw pixels whose length does not match the declared width and height. */
        SIZE_MISMATCH
    }

    private final Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind what is wrong
     * @param message a sentence saying what was found
     */
    public ImageDecodeException(final Kind kind, final String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /**
     * What is wrong with the image.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }
}
