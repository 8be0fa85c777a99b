package dev.scissor.serve;

import ai.onnxruntime.OrtException;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageDecodeException;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import dev.scissor.encoder.onnx.LargeStack;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Encodes query images for {@code /v1/find} with the same vision encoder as the encoder stage:
 * decodes a JPEG or PNG (FFmpeg), preprocesses it like a frame and runs the ONNX model. The ONNX
 * session is created and run on one large-stack thread ({@link LargeStack}), which this object owns
 * with the session and the decoder; {@link #close()} releases all three.
 */
public final class QueryEncoder implements AutoCloseable {

    /** Largest query image in pixels. */
    public static final long MAX_PIXELS = 8192L * 8192;

    private final ExecutorService thread;
    private final OnnxVisionEncoder encoder;
    private final FfmpegImageDecoder decoder;
    private final ImagePreprocessor preprocessor;
    private final FloatBuffer input;

    /** An image the encoder cannot read. */
    public static final class BadImageException extends Exception {
        private static final long serialVersionUID = 1L;

        BadImageException(final String message) {
            super(message);
        }
    }

    /**
     * Loads the model.
     *
     * @param descriptor the encoder (a built-in one is obtained by {@link ModelStore#fromEnvironment()})
     * @param maxImageBytes the largest encoded image accepted
     * @throws Exception when the model cannot be obtained or loaded
     */
    public QueryEncoder(final EncoderModelDescriptor descriptor, final int maxImageBytes) throws Exception {
        this.thread = Executors.newSingleThreadExecutor(r -> {
            final Thread t = LargeStack.newThread("scissor-serve-encoder", r);
            t.setDaemon(true);
            return t;
        });
        try {
            this.encoder = onThread(() -> OnnxVisionEncoder.open(descriptor, ModelStore.fromEnvironment(),
                    OnnxVisionEncoder.Options.DEFAULT));
        } catch (final Exception e) {
            thread.shutdownNow();
            throw e;
        }
        this.decoder = new FfmpegImageDecoder(MAX_PIXELS, maxImageBytes);
        this.preprocessor = ImagePreprocessor.forDescriptor(encoder.descriptor());
        this.input = preprocessor.allocate(1);
    }

    private <T> T onThread(final java.util.concurrent.Callable<T> body) throws Exception {
        try {
            return thread.submit(body).get();
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    /** The model's descriptor. */
    public EncoderModelDescriptor descriptor() {
        return encoder.descriptor();
    }

    /** The token dimension. */
    public int tokenDim() {
        return encoder.tokenDim();
    }

    /**
     * Encodes an image.
     *
     * @param image JPEG or PNG bytes
     * @return its tokens, row-major {@code [gridHeight * gridWidth, tokenDim]}
     * @throws BadImageException when the bytes are not a readable JPEG or PNG
     * @throws Exception when the model fails
     */
    public float[] encode(final byte[] image) throws Exception {
        return encode(image, 1, 1);
    }

    /**
     * Encodes an image repeated {@code tilesX} by {@code tilesY} times: tiling a crop to the size of
     * a camera frame shows it to the model at the scale it has inside a frame, so its tokens compare
     * with the frames' tokens (a crop encoded alone is magnified several times).
     *
     * @param image JPEG or PNG bytes
     * @param tilesX copies across (1 to 16)
     * @param tilesY copies down (1 to 16)
     * @return the tokens of the tiled image, row-major {@code [gridHeight * gridWidth, tokenDim]}
     * @throws BadImageException when the bytes are not a readable JPEG or PNG
     * @throws Exception when the model fails
     */
    public float[] encode(final byte[] image, final int tilesX, final int tilesY) throws Exception {
        if (tilesX < 1 || tilesX > 16 || tilesY < 1 || tilesY > 16) {
            throw new IllegalArgumentException("tiles must be 1 to 16, got " + tilesX + "x" + tilesY);
        }
        return encode(image, (w, h) -> new int[] {tilesX, tilesY});
    }

    /**
     * Encodes an image at the scale it would have inside a camera frame: tiled
     * {@code round(frameWidth / width)} by {@code round(frameHeight / height)} times (1 to 16 each).
     *
     * @param image JPEG or PNG bytes (for example a crop of a person)
     * @param frameWidth the width of the stream's frames as the encoder stage saw them
     * @param frameHeight their height
     * @return the tokens
     * @throws BadImageException when the bytes are not a readable JPEG or PNG
     * @throws Exception when the model fails
     */
    public float[] encodeAtFrameScale(final byte[] image, final int frameWidth, final int frameHeight)
            throws Exception {
        return encode(image, (w, h) -> new int[] {
            (int) Math.max(1, Math.min(16, Math.round((double) frameWidth / w))),
            (int) Math.max(1, Math.min(16, Math.round((double) frameHeight / h)))});
    }

    private float[] encode(final byte[] image, final java.util.function.BiFunction<Integer, Integer, int[]> tiling)
            throws Exception {
        final ImageFormat format;
        if (image.length > 3 && (image[0] & 0xff) == 0xff && (image[1] & 0xff) == 0xd8) {
            format = ImageFormat.JPEG;
        } else if (image.length > 8 && (image[0] & 0xff) == 0x89 && image[1] == 'P' && image[2] == 'N'
                && image[3] == 'G') {
            format = ImageFormat.PNG;
        } else {
            throw new BadImageException("the image is neither a JPEG nor a PNG");
        }
        return onThread(() -> {
            final DecodedImage img;
            try {
                img = decoder.decode(format, ByteBuffer.wrap(image), 0, 0);
            } catch (final ImageDecodeException e) {
                throw new BadImageException("cannot decode the image: " + e.getMessage());
            }
            final int[] tiles = tiling.apply(img.width(), img.height());
            final int tilesX = tiles[0];
            final int tilesY = tiles[1];
            if (tilesX == 1 && tilesY == 1) {
                preprocessor.preprocess(img.pixels(), img.width(), img.height(), img.stride(),
                        ImagePreprocessor.PixelFormat.BGR24, input, 0);
            } else {
                final int w = img.width();
                final int h = img.height();
                final int rowBytes = 3 * w * tilesX;
                final byte[] tiled = new byte[rowBytes * h * tilesY];
                final byte[] row = new byte[3 * w];
                final ByteBuffer src = img.pixels();
                for (int y = 0; y < h; y++) {
                    src.get(src.position() + y * img.stride(), row);
                    for (int ty = 0; ty < tilesY; ty++) {
                        for (int tx = 0; tx < tilesX; tx++) {
                            System.arraycopy(row, 0, tiled, (ty * h + y) * rowBytes + tx * row.length, row.length);
                        }
                    }
                }
                preprocessor.preprocess(ByteBuffer.wrap(tiled), w * tilesX, h * tilesY, rowBytes,
                        ImagePreprocessor.PixelFormat.BGR24, input, 0);
            }
            return encoder.encode(input, 1)[0];
        });
    }

    /** Closes the session and the decoder, then stops the thread. */
    @Override
    public void close() {
        try {
            onThread(() -> {
                try {
                    encoder.close();
                } catch (final OrtException e) {
                    // closing: nothing to do
                }
                decoder.close();
                return null;
            });
        } catch (final Exception e) {
            // closing
        } finally {
            thread.shutdown();
            try {
                thread.awaitTermination(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
