package dev.scissor.serve;

import ai.onnxruntime.OrtException;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageDecodeException;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.media.ImageHeaders;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Encodes query images for {@code /v1/find} with the same vision encoder as the encoder stage:
 * decodes a JPEG or PNG (FFmpeg), preprocesses it like a frame and runs the ONNX model. The ONNX
 * session is created and run on one large-stack thread ({@link LargeStack}), which this object owns
 * with the session and the decoder; {@link #close()} releases all three.
 *
 * <p>Every image it decodes or builds is bounded in pixels before it is allocated: the query as its
 * header declares it (checked again by the decoder), and the query tiled to a frame's scale ({@link
 * #plan}).
 */
public final class QueryEncoder implements AutoCloseable {

    /**
     * Default largest image, in pixels, that a query decodes or builds by tiling ({@value
     * ServeConfig#FIND_MAX_PIXELS}): 4096 x 4096, 48 MiB of BGR.
     */
    public static final long DEFAULT_MAX_PIXELS = 4096L * 4096;

    private final long maxPixels;

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

    /** An image, a frame or a tiling with more pixels than the encoder's limit. */
    public static final class TooLargeException extends Exception {
        private static final long serialVersionUID = 1L;

        TooLargeException(final String message) {
            super(message);
        }
    }

    /**
     * How a query image is tiled to a frame's scale: {@code round(frameWidth / width)} by {@code
     * round(frameHeight / height)} copies, 1 to 16 each.
     *
     * @param width the image's width
     * @param height its height
     * @param tilesX copies across
     * @param tilesY copies down
     */
    public record Tiling(int width, int height, int tilesX, int tilesY) {

        /**
         * The tiling of an image to a frame.
         *
         * @param width the image's width
         * @param height its height
         * @param frameWidth the frame's width
         * @param frameHeight the frame's height
         * @return the tiling
         */
        public static Tiling toFrame(final int width, final int height, final int frameWidth, final int frameHeight) {
            return new Tiling(width, height, tiles(frameWidth, width), tiles(frameHeight, height));
        }

        private static int tiles(final int frame, final int image) {
            return (int) Math.max(1, Math.min(16, Math.round((double) frame / image)));
        }

        /** Pixels of the tiled image. */
        public long pixels() {
            return (long) width * tilesX * height * tilesY;
        }
    }

    /**
     * Checks, from the image's header alone and before anything is decoded or allocated, that a
     * query fits the pixel limit: the image, the frame and the image tiled to the frame's scale.
     *
     * @param image JPEG or PNG bytes
     * @param frameWidth the frame's width
     * @param frameHeight the frame's height
     * @param maxPixels the limit ({@value ServeConfig#FIND_MAX_PIXELS})
     * @return the tiling the query will get
     * @throws BadImageException when the bytes are not a JPEG or PNG with a size in its header
     * @throws TooLargeException when the image, the frame or the tiling is over the limit
     */
    public static Tiling plan(final byte[] image, final int frameWidth, final int frameHeight, final long maxPixels)
            throws BadImageException, TooLargeException {
        final ImageFormat format = format(image);
        final Optional<ImageHeaders.Size> size = ImageHeaders.declaredSize(format, ByteBuffer.wrap(image));
        if (size.isEmpty()) {
            throw new BadImageException(
                    "cannot decode the image: its " + format.wireName() + " header declares no image size");
        }
        final int w = size.get().width();
        final int h = size.get().height();
        if (size.get().pixels() > maxPixels) {
            throw new TooLargeException(
                    "the image is " + w + "x" + h + " = " + size.get().pixels() + " pixels; at most " + maxPixels
                            + " are decoded (" + ServeConfig.FIND_MAX_PIXELS + ")");
        }
        final long frame = (long) frameWidth * frameHeight;
        if (frame > maxPixels) {
            throw new TooLargeException("frame_width x frame_height is " + frameWidth + "x" + frameHeight + " = "
                    + frame + " pixels; at most " + maxPixels + " are accepted (" + ServeConfig.FIND_MAX_PIXELS + ")");
        }
        final Tiling tiling = Tiling.toFrame(w, h, frameWidth, frameHeight);
        checkTiling(tiling, maxPixels);
        return tiling;
    }

    private static void checkTiling(final Tiling t, final long maxPixels) throws TooLargeException {
        if (t.pixels() > maxPixels) {
            throw new TooLargeException("the " + t.width() + "x" + t.height() + " image tiled " + t.tilesX() + "x"
                    + t.tilesY() + " to the frame's scale is " + t.pixels() + " pixels; at most " + maxPixels
                    + " are accepted (" + ServeConfig.FIND_MAX_PIXELS + ")");
        }
    }

    private static ImageFormat format(final byte[] image) throws BadImageException {
        if (image.length > 3 && (image[0] & 0xff) == 0xff && (image[1] & 0xff) == 0xd8) {
            return ImageFormat.JPEG;
        }
        if (image.length > 8 && (image[0] & 0xff) == 0x89 && image[1] == 'P' && image[2] == 'N' && image[3] == 'G') {
            return ImageFormat.PNG;
        }
        throw new BadImageException("the image is neither a JPEG nor a PNG");
    }

    /**
     * Loads the model, with the {@link #DEFAULT_MAX_PIXELS} limit.
     *
     * @param descriptor the encoder (a built-in one is obtained by {@link ModelStore#fromEnvironment()})
     * @param maxImageBytes the largest encoded image accepted
     * @throws Exception when the model cannot be obtained or loaded
     */
    public QueryEncoder(final EncoderModelDescriptor descriptor, final int maxImageBytes) throws Exception {
        this(descriptor, maxImageBytes, DEFAULT_MAX_PIXELS);
    }

    /**
     * Loads the model.
     *
     * @param descriptor the encoder (a built-in one is obtained by {@link ModelStore#fromEnvironment()})
     * @param maxImageBytes the largest encoded image accepted
     * @param maxPixels the largest image decoded or built by tiling, in pixels
     * @throws Exception when the model cannot be obtained or loaded
     */
    public QueryEncoder(final EncoderModelDescriptor descriptor, final int maxImageBytes, final long maxPixels)
            throws Exception {
        this.maxPixels = maxPixels;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            final Thread t = LargeStack.newThread("scissor-serve-encoder", r);
            t.setDaemon(true);
            return t;
        });
        try {
            this.encoder = onThread(() -> OnnxVisionEncoder.open(
                    descriptor, ModelStore.fromEnvironment(), OnnxVisionEncoder.Options.DEFAULT));
        } catch (final Exception e) {
            thread.shutdownNow();
            throw e;
        }
        this.decoder = new FfmpegImageDecoder(maxPixels, maxImageBytes);
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
     * @throws TooLargeException when the image, the frame or the tiling has more pixels than this
     *     encoder's limit ({@link #plan}, checked before decoding)
     * @throws Exception when the model fails
     */
    public float[] encodeAtFrameScale(final byte[] image, final int frameWidth, final int frameHeight)
            throws Exception {
        plan(image, frameWidth, frameHeight, maxPixels);
        return encode(image, (w, h) -> {
            final Tiling t = Tiling.toFrame(w, h, frameWidth, frameHeight);
            return new int[] {t.tilesX(), t.tilesY()};
        });
    }

    private float[] encode(final byte[] image, final java.util.function.BiFunction<Integer, Integer, int[]> tiling)
            throws Exception {
        final ImageFormat format = format(image);
        return onThread(() -> {
            final DecodedImage img;
            try {
                img = decoder.decode(format, ByteBuffer.wrap(image), 0, 0);
            } catch (final ImageDecodeException e) {
                if (e.kind() == ImageDecodeException.Kind.TOO_LARGE) {
                    throw new TooLargeException(e.getMessage() + " (" + ServeConfig.FIND_MAX_PIXELS + ", "
                            + ServeConfig.MAX_BODY_BYTES + ")");
                }
                throw new BadImageException("cannot decode the image: " + e.getMessage());
            }
            final int[] tiles = tiling.apply(img.width(), img.height());
            final int tilesX = tiles[0];
            final int tilesY = tiles[1];
            checkTiling(new Tiling(img.width(), img.height(), tilesX, tilesY), maxPixels);
            if (tilesX == 1 && tilesY == 1) {
                preprocessor.preprocess(
                        img.pixels(),
                        img.width(),
                        img.height(),
                        img.stride(),
                        ImagePreprocessor.PixelFormat.BGR24,
                        input,
                        0);
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
                preprocessor.preprocess(
                        ByteBuffer.wrap(tiled),
                        w * tilesX,
                        h * tilesY,
                        rowBytes,
                        ImagePreprocessor.PixelFormat.BGR24,
                        input,
                        0);
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
