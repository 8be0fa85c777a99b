package dev.scissor.encoder.media;

import java.io.IOException;

/**
 * Compresses packed BGR24 frames to JPEG. Implementations keep native or reusable state, so they
 * are not thread-safe: use one per thread, and close it.
 */
public interface JpegEncoder extends AutoCloseable {

    /**
     * Encodes one frame.
     *
     * @param bgr packed pixels, row {@code y} at byte {@code y * 3 * width}
     * @param width pixels per row
     * @param height rows
     * @return the JPEG file bytes
     * @throws IOException if the encoder fails
     * @throws IllegalArgumentException if {@code bgr} is shorter than {@code 3 * width * height}
     */
    byte[] encode(byte[] bgr, int width, int height) throws IOException;

    /** Releases the encoder's resources. Idempotent. */
    @Override
    void close();
}
