package dev.scissor.cli;

import dev.scissor.encoder.capture.CaptureOptions;
import dev.scissor.encoder.capture.CapturedFrame;
import dev.scissor.encoder.capture.FfmpegFrameSource;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.Ffmpeg;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.ImageDecodeException;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Encodes images or a video into one {@code [F, N, D]} float32 array of tokens with a vision
 * encoder (a built-in name or an exported model directory): the work of {@code scissor encode}
 * and of {@code scissor eval --video}. Frames are prepared as the encoder's descriptor says (the
 * checkpoint processor's resize, rescale and normalisation), batched, and run on ONNX Runtime on a
 * large-stack thread.
 */
final class TokenEncoding {

    /** Frames encoded per ONNX Runtime call. */
    static final int BATCH = 8;
    /** Largest image accepted by {@code --images}: 64 megapixels, 256 MiB encoded. */
    private static final long MAX_PIXELS = 64L << 20;

    private static final int MAX_BYTES = 256 << 20;

    /** The tokens of F frames, frame after frame, with their shape. */
    record Tokens(float[] values, int frames, int tokens, int dim) {}

    private final EncoderModelDescriptor descriptor;
    private final PrintStream progress;

    /**
     * @param model a built-in encoder name or an exported model directory (or descriptor file)
     * @param progress where progress lines go
     * @throws IOException if the descriptor cannot be read
     */
    TokenEncoding(final String model, final PrintStream progress) throws IOException {
        this.descriptor = EncoderModelDescriptor.resolve(model);
        this.progress = progress;
    }

    EncoderModelDescriptor descriptor() {
        return descriptor;
    }

    /**
     * Encodes a video file.
     *
     * @param file the video
     * @param options the sampling rate (frames per second of video time) and size limit: {@code
     *     CaptureOptions.DEFAULT} gives the frames the capture stage would send
     */
    Tokens video(final Path file, final CaptureOptions options) throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no video file " + file);
        }
        return LargeStack.call("scissor-encode", () -> {
            Ffmpeg.init();
            try (Batches b = new Batches();
                    FfmpegFrameSource src =
                            FfmpegFrameSource.open(SourceSpec.parse(file.toString()), options.withRealtime(false))) {
                CapturedFrame f;
                while ((f = src.next()) != null) {
                    b.add(ByteBuffer.wrap(f.bgr()), f.width(), f.height(), 3 * f.width());
                }
                return b.finish();
            }
        });
    }

    /** Encodes images (JPEG or PNG), one frame each, in the order given. */
    Tokens images(final List<Path> files) throws Exception {
        for (final Path p : files) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("no image file " + p);
            }
            if (Files.size(p) > MAX_BYTES) {
                throw new IllegalArgumentException(
                        p + " has " + Files.size(p) + " bytes, more than the " + MAX_BYTES + " an image may have");
            }
        }
        return LargeStack.call("scissor-encode", () -> {
            Ffmpeg.init();
            try (Batches b = new Batches();
                    FfmpegImageDecoder dec = new FfmpegImageDecoder(MAX_PIXELS, MAX_BYTES)) {
                for (final Path p : files) {
                    final byte[] bytes = Files.readAllBytes(p);
                    final ImageFormat format = sniff(bytes)
                            .orElseThrow(() -> new IllegalArgumentException(p + " is neither a JPEG nor a PNG image"));
                    final DecodedImage img;
                    try {
                        img = dec.decode(format, ByteBuffer.wrap(bytes), 0, 0);
                    } catch (final ImageDecodeException e) {
                        throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
                    }
                    b.add(img.pixels(), img.width(), img.height(), img.stride());
                }
                return b.finish();
            }
        });
    }

    private static Optional<ImageFormat> sniff(final byte[] b) {
        if (b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return Optional.of(ImageFormat.PNG);
        }
        if (b.length > 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
            return Optional.of(ImageFormat.JPEG);
        }
        return Optional.empty();
    }

    /** Batches frames through the encoder and appends their tokens; owns the session. */
    private final class Batches implements AutoCloseable {
        private final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(descriptor);
        private final FloatBuffer buf = pre.allocate(BATCH);
        private final OnnxVisionEncoder enc;
        private final int perFrame;
        private float[] all = new float[0];
        private int frames;
        private int inBatch;

        Batches() throws Exception {
            enc = OnnxVisionEncoder.open(
                    descriptor,
                    descriptor.resolveModel(ModelStore.fromEnvironment()),
                    OnnxVisionEncoder.Options.cpu(0));
            perFrame = enc.tokenCount() * enc.tokenDim();
        }

        void add(final ByteBuffer bgr, final int width, final int height, final int stride) throws Exception {
            pre.preprocess(bgr, width, height, stride, ImagePreprocessor.PixelFormat.BGR24, buf, inBatch++);
            if (inBatch == BATCH) {
                flush();
            }
        }

        private void flush() throws Exception {
            if (inBatch == 0) {
                return;
            }
            final FloatBuffer in;
            if (inBatch == BATCH) {
                in = buf;
            } else {
                in = pre.allocate(inBatch);
                for (int i = 0; i < inBatch * pre.floatsPerFrame(); i++) {
                    in.put(i, buf.get(i));
                }
            }
            final float[][] out = enc.encode(in, inBatch);
            if ((long) (frames + inBatch) * perFrame > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("more tokens than one array holds: encode fewer frames");
            }
            if (all.length < (frames + inBatch) * perFrame) {
                all = java.util.Arrays.copyOf(all, Math.max((frames + inBatch) * perFrame, (int)
                        Math.min(Integer.MAX_VALUE - 8, 2L * all.length)));
            }
            for (final float[] f : out) {
                System.arraycopy(f, 0, all, frames * perFrame, perFrame);
                frames++;
            }
            inBatch = 0;
            if (frames % (4 * BATCH) == 0) {
                progress.printf(Locale.ROOT, "  %d frames encoded%n", frames);
            }
        }

        Tokens finish() throws Exception {
            flush();
            if (frames == 0) {
                throw new IllegalArgumentException("no frames to encode");
            }
            return new Tokens(
                    java.util.Arrays.copyOf(all, frames * perFrame), frames, enc.tokenCount(), enc.tokenDim());
        }

        @Override
        public void close() throws Exception {
            enc.close();
        }
    }
}
