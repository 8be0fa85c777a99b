package dev.scissor.encoder.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.EncoderModelDescriptor.OutputLayout;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.model.ModelUnavailableException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a vision encoder with ONNX Runtime and returns patch tokens.
 *
 * <p>The encoder owns one {@link OrtSession}. On open it checks the model against its {@link
 * EncoderModelDescriptor} ({@link EncoderModelDescriptor#validate(OrtSession)}); on every call it
 * checks the actual output shape. It takes a batch of frames preprocessed by {@link
 * ImagePreprocessor} ({@code [B,3,H,W]}, preferably in a direct buffer, which ONNX Runtime reads
 * without copying) and returns, per frame, the tokens as one row-major {@code float[T * D]}:
 * token {@code t = row * gridWidth + col} occupies {@code [t * D, (t + 1) * D)}. For an NCHW
 * output this is the transpose of the channel planes.
 *
 * <p>Execution provider: with {@link Device#AUTO} (the default) the CUDA provider is used when
 * the ONNX Runtime build has it (the {@code onnxruntime_gpu} artifact, Maven profile {@code gpu})
 * and it initialises; otherwise the encoder logs why and runs on CPU. {@link Device#CUDA} makes
 * a missing or broken CUDA provider an error; {@link Device#CPU} never tries it.
 *
 * <p>{@code open} loads the model on a thread of its own with a large stack ({@link LargeStack}),
 * so it may be called from any thread. {@link #encode} may be called from several threads (ONNX
 * Runtime sessions are thread-safe).
 * After {@link #close()} every method throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * EncoderModelDescriptor d = EncoderModelDescriptor.defaultDescriptor();
 * try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(d, ModelStore.fromEnvironment(),
 *     OnnxVisionEncoder.Options.DEFAULT)) {
 *   ImagePreprocessor pre = ImagePreprocessor.forDescriptor(d);
 *   FloatBuffer in = pre.preprocess(bgr, width, height, width * 3, PixelFormat.BGR24);
 *   float[] tokens = enc.encode(in, 1)[0];   // 196 tokens x 816, row-major
 * }
 * }</pre>
 */
public final class OnnxVisionEncoder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxVisionEncoder.class);
    private static final long PRUNE_LIMIT_BYTES = 1L << 30;
    private static final AtomicBoolean NO_CUDA_LOGGED = new AtomicBoolean();

    /** Where to run the model. */
    public enum Device {
        /** CUDA if available and working, else CPU (logged). */
        AUTO,
        /** CPU only. */
        CPU,
        /** CUDA or fail. */
        CUDA
    }

    /**
     * Session options.
     *
     * @param device where to run
     * @param cudaDeviceId CUDA device index
     * @param intraOpThreads ONNX Runtime intra-op threads; 0 for its default (all cores)
     * @param pruneToOutput load only the part of the graph that the token output needs (ONNX
     *     Runtime otherwise runs every node); skipped for models over 1 GiB or with external data
     */
    public record Options(Device device, int cudaDeviceId, int intraOpThreads, boolean pruneToOutput) {
        /** AUTO device, CUDA device 0, default threads, pruning on. */
        public static final Options DEFAULT = new Options(Device.AUTO, 0, 0, true);

        // Validates the values.
        public Options {
            Objects.requireNonNull(device, "device");
            if (cudaDeviceId < 0 || intraOpThreads < 0) {
                throw new IllegalArgumentException("cudaDeviceId and intraOpThreads must be >= 0");
            }
        }

        /**
         * CPU with the given thread count.
         *
         * @param threads intra-op threads (0 = default)
         * @return the options
         */
        public static Options cpu(final int threads) {
            return new Options(Device.CPU, 0, threads, true);
        }
    }

    private final EncoderModelDescriptor descriptor;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String provider;
    private final long[] inputShape;
    private volatile boolean closed;

    private OnnxVisionEncoder(
            final EncoderModelDescriptor descriptor, final OrtSession session, final String provider) {
        this.descriptor = descriptor;
        this.env = OrtEnvironment.getEnvironment();
        this.session = session;
        this.provider = provider;
        this.inputShape = new long[] {0, 3, descriptor.inputHeight(), descriptor.inputWidth()};
    }

    /**
     * Opens the encoder for a descriptor, obtaining a built-in model through {@code store} if
     * needed.
     *
     * @param descriptor the encoder contract
     * @param store where built-in models are cached
     * @param options device and threads
     * @return the open encoder
     * @throws ModelUnavailableException if a built-in model cannot be obtained
     * @throws OrtException if ONNX Runtime cannot load the model
     * @throws dev.scissor.encoder.model.ModelContractException if the model does not match
     */
    public static OnnxVisionEncoder open(
            final EncoderModelDescriptor descriptor, final ModelStore store, final Options options)
            throws ModelUnavailableException, OrtException {
        return open(descriptor, descriptor.resolveModel(store), options);
    }

    /**
     * Opens the encoder on an explicit ONNX file (the descriptor's {@code model} is ignored).
     *
     * @param descriptor the encoder contract
     * @param onnxFile the model file
     * @param options device and threads
     * @return the open encoder
     * @throws OrtException if ONNX Runtime cannot load the model
     * @throws dev.scissor.encoder.model.ModelContractException if the model does not match
     */
    public static OnnxVisionEncoder open(
            final EncoderModelDescriptor descriptor, final Path onnxFile, final Options options) throws OrtException {
        final String path = onnxFile.toAbsolutePath().toString();
        if (options.pruneToOutput()) {
            try {
                if (Files.size(onnxFile) < PRUNE_LIMIT_BYTES) {
                    final Optional<byte[]> pruned =
                            GraphPruner.pruneToOutput(Files.readAllBytes(onnxFile), descriptor.outputName());
                    if (pruned.isPresent()) {
                        final byte[] bytes = pruned.get();
                        return open(
                                descriptor,
                                (env, opts) -> env.createSession(bytes, opts),
                                options,
                                path + " (pruned to '" + descriptor.outputName() + "')");
                    }
                }
            } catch (final IOException e) {
                LOG.debug("could not read {} for pruning; loading it as is", path, e);
            }
        }
        return open(descriptor, (env, opts) -> env.createSession(path, opts), options, path);
    }

    /**
     * Opens the encoder on a model held in memory (for example one built in a test).
     *
     * @param descriptor the encoder contract
     * @param onnxModel the serialised model
     * @param options device and threads
     * @return the open encoder
     * @throws OrtException if ONNX Runtime cannot load the model
     * @throws dev.scissor.encoder.model.ModelContractException if the model does not match
     */
    public static OnnxVisionEncoder open(
            final EncoderModelDescriptor descriptor, final byte[] onnxModel, final Options options)
            throws OrtException {
        final byte[] bytes = options.pruneToOutput()
                ? GraphPruner.pruneToOutput(onnxModel, descriptor.outputName()).orElse(onnxModel)
                : onnxModel;
        return open(descriptor, (env, opts) -> env.createSession(bytes, opts), options, "<in-memory model>");
    }

    @FunctionalInterface
    private interface SessionFactory {
        OrtSession create(OrtEnvironment env, OrtSession.SessionOptions opts) throws OrtException;
    }

    /**
     * Opens on a large-stack thread ({@link LargeStack}): ONNX Runtime's native start-up can
     * overflow the default 1 MiB stack of the caller's thread.
     */
    private static OnnxVisionEncoder open(
            final EncoderModelDescriptor descriptor,
            final SessionFactory factory,
            final Options options,
            final String what)
            throws OrtException {
        Objects.requireNonNull(descriptor, "descriptor");
        try {
            return LargeStack.call("scissor-onnx-open", () -> openHere(descriptor, factory, options, what));
        } catch (final OrtException | RuntimeException e) {
            throw e;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening encoder '" + descriptor.id() + "'", e);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot open encoder '" + descriptor.id() + "': " + e, e);
        }
    }

    private static OnnxVisionEncoder openHere(
            final EncoderModelDescriptor descriptor,
            final SessionFactory factory,
            final Options options,
            final String what)
            throws OrtException {
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        String provider = "CPU";
        if (options.device() != Device.CPU) {
            final Optional<OrtSession> cuda = tryCuda(env, factory, options, what);
            if (cuda.isPresent()) {
                session = cuda.get();
                provider = "CUDA";
            }
        }
        if (session == null) {
            try (OrtSession.SessionOptions opts = baseOptions(options)) {
                session = factory.create(env, opts);
            } catch (final OrtException e) {
                throw unloadable(descriptor, what, e);
            }
        }
        try {
            descriptor.validate(session);
        } catch (final RuntimeException | OrtException e) {
            session.close();
            throw e;
        }
        LOG.info(
                "encoder '{}' loaded {} on {} (input {} {}x{}, tokens {} x {} from '{}')",
                descriptor.id(),
                what,
                provider,
                descriptor.inputName(),
                descriptor.inputHeight(),
                descriptor.inputWidth(),
                descriptor.tokenCount(),
                descriptor.tokenDim(),
                descriptor.outputName());
        return new OnnxVisionEncoder(descriptor, session, provider);
    }

    /**
     * The start-up error for a model ONNX Runtime cannot load: which encoder and file, what ONNX
     * Runtime said, what the file looks like, and what to do.
     */
    static OrtException unloadable(final EncoderModelDescriptor descriptor, final String what, final OrtException e) {
        final StringBuilder msg = new StringBuilder("encoder '")
                .append(descriptor.id())
                .append("': ONNX Runtime cannot load the model ")
                .append(what)
                .append(": ")
                .append(ortMessage(e))
                .append(". ");
        final String looks = looksLike(what);
        msg.append(
                        looks == null
                                ? "The file is not a valid ONNX model, or one this ONNX Runtime cannot read"
                                : "The file " + looks)
                .append(". Replace it with a valid .onnx file (export or download it "
                        + "again), point the descriptor's 'model' at another file, or use a built-in model ("
                        + EncoderModelDescriptor.BUILTIN_PREFIX + "mnv2-nsfwjs, cached by the model store).");
        final OrtException out = new OrtException(msg.toString());
        out.initCause(e);
        return out;
    }

    /** ONNX Runtime's message without its "Error code - ... - message: " prefix and final dots. */
    private static String ortMessage(final OrtException e) {
        String m = String.valueOf(e.getMessage());
        final int i = m.indexOf(" - message: ");
        if (m.startsWith("Error code - ") && i > 0) {
            m = m.substring(i + " - message: ".length());
        }
        m = m.replace("failed:", "failed: ").strip();
        while (m.endsWith(".")) {
            m = m.substring(0, m.length() - 1);
        }
        return m + " (" + e.getCode() + ")";
    }

    /** What a model file that does not load looks like, or null when nothing stands out. */
    private static String looksLike(final String what) {
        final Path file;
        try {
            file = Path.of(what);
        } catch (final RuntimeException e) {
            return null; // in memory, or a label such as "... (pruned to ...)"
        }
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            final long size = Files.size(file);
            if (size == 0) {
                return "is empty (0 bytes): an interrupted download or copy";
            }
            final byte[] head = new byte[(int) Math.min(64, size)];
            try (java.io.InputStream in = Files.newInputStream(file)) {
                in.readNBytes(head, 0, head.length);
            }
            final String text = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).strip();
            if (text.startsWith("version https://git-lfs")) {
                return "is a Git LFS pointer (" + size + " bytes), not the model: run `git lfs pull`";
            }
            if (text.startsWith("<")) {
                return "looks like HTML or XML (" + size + " bytes), such as an error page saved instead "
                        + "of the model";
            }
            return "(" + size + " bytes) is corrupt, truncated or not an ONNX model";
        } catch (final IOException io) {
            return "cannot be read (" + io.getMessage() + "): check its permissions";
        }
    }

    private static Optional<OrtSession> tryCuda(
            final OrtEnvironment env, final SessionFactory factory, final Options options, final String what)
            throws OrtException {
        final boolean required = options.device() == Device.CUDA;
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            final String msg = "this ONNX Runtime build has no CUDA provider (providers: "
                    + OrtEnvironment.getAvailableProviders() + "); build with -Pgpu for onnxruntime_gpu";
            if (required) {
                throw new IllegalStateException("CUDA was requested but " + msg);
            }
            if (NO_CUDA_LOGGED.compareAndSet(false, true)) {
                LOG.info("{}; running on CPU", msg);
            } else {
                LOG.debug("{}; running on CPU", msg);
            }
            return Optional.empty();
        }
        final OrtSession.SessionOptions opts = baseOptions(options);
        try {
            opts.addCUDA(options.cudaDeviceId());
            return Optional.of(factory.create(env, opts));
        } catch (final OrtException e) {
            if (required) {
                throw e;
            }
            LOG.warn("CUDA provider not usable for {} ({}); falling back to CPU", what, e.getMessage());
            return Optional.empty();
        } finally {
            opts.close();
        }
    }

    private static OrtSession.SessionOptions baseOptions(final Options options) throws OrtException {
        final OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (options.intraOpThreads() > 0) {
            opts.setIntraOpNumThreads(options.intraOpThreads());
        }
        return opts;
    }

    /**
     * Encodes a batch of preprocessed frames.
     *
     * @param pixels {@code batch * 3 * H * W} floats in NCHW order, from index 0 of the buffer
     *     (direct buffers avoid a copy); see {@link ImagePreprocessor}
     * @param batch number of frames in {@code pixels}
     * @return per frame, {@code tokenCount() * tokenDim()} floats, token-major
     * @throws OrtException if inference fails
     * @throws IllegalStateException if the encoder is closed
     * @throws IllegalArgumentException if the buffer size does not match the batch
     * @throws dev.scissor.encoder.model.ModelContractException if the output shape is not the
     *     descriptor's
     */
    public float[][] encode(final FloatBuffer pixels, final int batch) throws OrtException {
        checkOpen();
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        final int perFrame = descriptor.inputFloatsPerFrame();
        final long expected = (long) batch * perFrame;
        if (pixels.capacity() < expected) {
            throw new IllegalArgumentException("input buffer holds " + pixels.capacity()
                    + " floats; a batch of " + batch + " needs " + expected + " (" + perFrame
                    + " per frame)");
        }
        final FloatBuffer view = pixels.duplicate();
        view.position(0).limit((int) expected);
        final long[] shape = inputShape.clone();
        shape[0] = batch;
        try (OnnxTensor in = OnnxTensor.createTensor(env, view.slice(), shape);
                OrtSession.Result r =
                        session.run(Map.of(descriptor.inputName(), in), Set.of(descriptor.outputName()))) {
            final OnnxValue v = r.get(descriptor.outputName())
                    .orElseThrow(() ->
                            new IllegalStateException("ONNX Runtime returned no '" + descriptor.outputName() + "'"));
            final OnnxTensor out = (OnnxTensor) v;
            descriptor.checkOutputShape(out.getInfo().getShape(), batch);
            return toTokens(out.getFloatBuffer(), batch, descriptor);
        }
    }

    /**
     * Rearranges a raw output into per-frame token-major arrays.
     *
     * @param raw the output values ({@code [B,C,H,W]} or {@code [B,T,D]})
     * @param batch B
     * @param d the descriptor (layout, grid, dim)
     * @return per frame, {@code T * D} floats with token {@code t} at {@code t * D}
     */
    static float[][] toTokens(final FloatBuffer raw, final int batch, final EncoderModelDescriptor d) {
        final int tokens = d.tokenCount();
        final int dim = d.tokenDim();
        final int perFrame = tokens * dim;
        final float[][] out = new float[batch][perFrame];
        final float[] frame = new float[perFrame];
        for (int b = 0; b < batch; b++) {
            raw.get(b * perFrame, frame, 0, perFrame);
            if (d.outputLayout() == OutputLayout.NTD) {
                System.arraycopy(frame, 0, out[b], 0, perFrame);
                continue;
            }
            final float[] dst = out[b];
            for (int c = 0; c < dim; c++) {
                final int plane = c * tokens;
                for (int t = 0; t < tokens; t++) {
                    dst[t * dim + c] = frame[plane + t];
                }
            }
        }
        return out;
    }

    /**
     * The descriptor this encoder was opened with.
     *
     * @return the descriptor
     */
    public EncoderModelDescriptor descriptor() {
        return descriptor;
    }

    /**
     * The execution provider in use.
     *
     * @return {@code CUDA} or {@code CPU}
     */
    public String executionProvider() {
        return provider;
    }

    /**
     * Tokens per frame.
     *
     * @return {@code gridHeight * gridWidth}
     */
    public int tokenCount() {
        return descriptor.tokenCount();
    }

    /**
     * Floats per token.
     *
     * @return the token dimension
     */
    public int tokenDim() {
        return descriptor.tokenDim();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("encoder '" + descriptor.id() + "' is closed");
        }
    }

    /**
     * Releases the ONNX Runtime session. Idempotent.
     *
     * @throws OrtException if ONNX Runtime fails to release it
     */
    @Override
    public synchronized void close() throws OrtException {
        if (!closed) {
            closed = true;
            session.close();
        }
    }
}
