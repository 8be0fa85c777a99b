package dev.scissor.encoder.media;

import java.nio.ByteBuffer;

/**
 * Packed BGR24 pixels: row {@code y} starts at byte {@code y * stride} of {@code pixels} (which
 * starts at position 0). This is the input that {@code ImagePreprocessor} takes.
 *
 * <p>An image returned by {@link FfmpegImageDecoder} is a view of the decoder's own native buffer
 * and stays valid only until that decoder's next call; preprocess or copy it before then.
 *
 * @param pixels the pixel bytes, position 0
 * @param width pixels per row
 * @param height rows
 * @param stride bytes per row, at least {@code 3 * width}
 */
public record DecodedImage(ByteBuffer pixels, int width, int height, int stride) {}
