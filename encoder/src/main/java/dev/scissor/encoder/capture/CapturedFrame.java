package dev.scissor.encoder.capture;

/**
 * A sampled frame, copied out of the grabber: its bytes belong to this object, so it stays valid
 * after the grabber has reused or freed its own buffers.
 *
 * @param ptsMicros presentation time in the source, microseconds (per connection; may be negative)
 * @param timestampMs capture time, epoch milliseconds (see {@link FfmpegFrameSource})
 * @param width pixels per row
 * @param height rows
 * @param bgr packed BGR24 pixels, {@code 3 * width * height} bytes, no padding
 */
public record CapturedFrame(long ptsMicros, long timestampMs, int width, int height, byte[] bgr) {
    // Checks the pixel count.
    public CapturedFrame {
        if (width <= 0 || height <= 0 || bgr.length != 3 * width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " bgr24 frame needs " + 3L * width * height
                    + " bytes, got " + bgr.length);
        }
    }
}
