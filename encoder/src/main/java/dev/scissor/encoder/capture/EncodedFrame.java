package dev.scissor.encoder.capture;

import dev.scissor.encoder.media.ImageFormat;
import java.util.Objects;

/**
 * A numbered, compressed frame of one stream, ready to be written as a {@code VideoFrame}.
 *
 * @param streamId the stream
 * @param sequence its number (see {@link SequenceNumbers})
 * @param timestampMs capture time, epoch milliseconds
 * @param width pixels per row
 * @param height rows
 * @param format the encoding of {@code image}
 * @param image the encoded image
 */
public record EncodedFrame(
        String streamId, long sequence, long timestampMs, int width, int height, ImageFormat format, byte[] image) {
    // Null checks.
    public EncodedFrame {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(image, "image");
    }
}
