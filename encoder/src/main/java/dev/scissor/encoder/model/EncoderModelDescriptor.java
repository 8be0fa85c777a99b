package dev.scissor.encoder.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The contract between the pipeline and one vision encoder (ENCODERS.md §7): which ONNX model,
 * what it takes (input name, size, channel order, normalisation) and which output holds the patch
 * tokens, in what layout and grid.
 *
 * <p>Descriptors are small {@code .properties} or JSON files. Keys (JSON may nest them, e.g.
 * {@code {"input": {"name": ...}}}):
 *
 * <pre>
 * id=mnv2-nsfwjs
 * model=builtin:mnv2-nsfwjs      # or a path to an .onnx file, relative to the descriptor file
 * input.name=pixel_values
 * input.height=224
 * input.width=224
 * input.channelOrder=RGB         # RGB (default) or BGR
 * input.range=0..1               # 0..1 (x/255, default) or 0..255; or input.scale=&lt;float&gt;
 * input.mean=0,0,0               # subtracted after scaling (default 0)
 * input.std=1,1,1                # divides last (default 1)
 * output.name=feat_14x14_wide
 * output.layout=NCHW             # NCHW ([N,C,H,W]) or NTD ([N,T,D], T = grid.height*grid.width)
 * grid.height=14
 * grid.width=14
 * token.dim=816
 * input.resample=bilinear        # bilinear (default), pil-bilinear or pil-bicubic
 * token.dtype=float32            # float32 (default) or float16: the element type of the tokens on the wire
 * model.dtype=float32            # weights/compute type of the graph (informational; its output is float32)
 * checkpoint=llava-hf/...        # where the weights came from (informational)
 * </pre>
 *
 * <p>A descriptor may also be given as a directory holding {@value #DIRECTORY_DESCRIPTOR} (what
 * {@code scissor export-encoder} writes next to its {@code model.onnx}); see {@link #load(Path)}
 * and {@link #resolve(String)}.
 *
 * <p>Built-in descriptors: {@code mnv2-nsfwjs} (default, {@code feat_14x14_wide}, 196 × 816),
 * {@code mnv2-nsfwjs-136} ({@code feat_14x14}, 196 × 136) and {@code mnv3-centernet} ({@code
 * feat_s16}, 196 × 88); see {@link #builtin(String)}.
 *
 * @param id a short name for logs and metadata
 * @param model a built-in model id ({@code builtin:<id>} or a bare id such as {@code
 *     mnv2-nsfwjs}) or the path of an ONNX file
 * @param inputName name of the model's image input
 * @param inputHeight input height in pixels
 * @param inputWidth input width in pixels
 * @param channelOrder channel order of the input planes
 * @param normalization how pixel values are scaled
 * @param outputName name of the output holding the tokens
 * @param outputLayout layout of that output
 * @param gridHeight token rows
 * @param gridWidth token columns
 * @param tokenDim channels per token
 * @param resample how frames are resized to the input size
 * @param modelDtype weights/compute element type of the graph ({@code float32} or {@code
 *     float16}; informational: input and output are float32 either way)
 * @param checkpoint the checkpoint the model was exported from, or null
 * @param tokenDtype the element type the encoder stage writes the tokens in by default ({@code
 *     token.dtype}): {@link TokenDtype#FLOAT32} for the built-in encoders, usually {@link
 *     TokenDtype#FLOAT16} for a VLM's exported vision tower
 */
public record EncoderModelDescriptor(
        String id,
        String model,
        String inputName,
        int inputHeight,
        int inputWidth,
        ChannelOrder channelOrder,
        Normalization normalization,
        String outputName,
        OutputLayout outputLayout,
        int gridHeight,
        int gridWidth,
        int tokenDim,
        Resample resample,
        String modelDtype,
        String checkpoint,
        TokenDtype tokenDtype) {

    /** File name of the descriptor inside a model directory. */
    public static final String DIRECTORY_DESCRIPTOR = "encoder.properties";

    /** Prefix of built-in model references in the {@code model} field. */
    public static final String BUILTIN_PREFIX = "builtin:";

    /** Channel order of the model input planes. */
    public enum ChannelOrder {
        /** Plane 0 is red. */
        RGB,
        /** Plane 0 is blue. */
        BGR
    }

    /** How a frame is resized to the model input size. */
    public enum Resample {
        /** Bilinear, half-pixel centres, no antialiasing (TF {@code resize_bilinear}). */
        BILINEAR("bilinear"),
        /** Pillow's {@code Image.BILINEAR} resize (antialiased when shrinking, 8-bit result). */
        PIL_BILINEAR("pil-bilinear"),
        /** Pillow's {@code Image.BICUBIC} resize (antialiased when shrinking, 8-bit result). */
        PIL_BICUBIC("pil-bicubic");

        private final String key;

        Resample(final String key) {
            this.key = key;
        }

        /**
         * The descriptor value.
         *
         * @return e.g. {@code pil-bicubic}
         */
        public String key() {
            return key;
        }

        static Resample parse(final String s) {
            for (final Resample r : values()) {
                if (r.key.equalsIgnoreCase(s) || r.name().equalsIgnoreCase(s)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("encoder descriptor: 'input.resample' must be one of "
                    + "bilinear, pil-bilinear, pil-bicubic, got '" + s + "'");
        }
    }

    /** Element type of the tokens on the wire ({@code token.dtype}). */
    public enum TokenDtype {
        /** IEEE 754 single precision, 4 bytes ({@code float32}). */
        FLOAT32,
        /** IEEE 754 half precision, 2 bytes ({@code float16}). */
        FLOAT16
    }

    /** Layout of the token output. */
    public enum OutputLayout {
        /** {@code [N, C, H, W]}: a feature map; token {@code r*W + c} is the column at (r, c). */
        NCHW,
        /** {@code [N, T, D]}: tokens already flattened row-major, {@code T = H*W}. */
        NTD
    }

    // Validates every field.
    public EncoderModelDescriptor {
        DescriptorChecks.requireText(id, "id");
        DescriptorChecks.requireText(model, "model");
        DescriptorChecks.requireText(inputName, "input.name");
        DescriptorChecks.requireText(outputName, "output.name");
        Objects.requireNonNull(channelOrder, "input.channelOrder");
        Objects.requireNonNull(normalization, "normalization");
        Objects.requireNonNull(outputLayout, "output.layout");
        DescriptorChecks.requirePositive(inputHeight, "input.height");
        DescriptorChecks.requirePositive(inputWidth, "input.width");
        DescriptorChecks.requirePositive(gridHeight, "grid.height");
        DescriptorChecks.requirePositive(gridWidth, "grid.width");
        DescriptorChecks.requirePositive(tokenDim, "token.dim");
        Objects.requireNonNull(resample, "input.resample");
        if (!"float32".equals(modelDtype) && !"float16".equals(modelDtype)) {
            throw new IllegalArgumentException(
                    "encoder descriptor: 'model.dtype' must be float32 or " + "float16, got '" + modelDtype + "'");
        }
        Objects.requireNonNull(tokenDtype, "token.dtype");
    }

    /**
     * A descriptor of a float32 model resized with {@link Resample#BILINEAR}, no recorded checkpoint
     * and float32 tokens on the wire (the built-in encoders).
     *
     * @param id a short name
     * @param model built-in id or ONNX path
     * @param inputName image input
     * @param inputHeight input height
     * @param inputWidth input width
     * @param channelOrder plane order
     * @param normalization pixel scaling
     * @param outputName token output
     * @param outputLayout its layout
     * @param gridHeight token rows
     * @param gridWidth token columns
     * @param tokenDim channels per token
     */
    public EncoderModelDescriptor(
            final String id,
            final String model,
            final String inputName,
            final int inputHeight,
            final int inputWidth,
            final ChannelOrder channelOrder,
            final Normalization normalization,
            final String outputName,
            final OutputLayout outputLayout,
            final int gridHeight,
            final int gridWidth,
            final int tokenDim) {
        this(
                id,
                model,
                inputName,
                inputHeight,
                inputWidth,
                channelOrder,
                normalization,
                outputName,
                outputLayout,
                gridHeight,
                gridWidth,
                tokenDim,
                Resample.BILINEAR,
                "float32",
                null,
                TokenDtype.FLOAT32);
    }

    /**
     * Number of tokens per frame.
     *
     * @return {@code gridHeight * gridWidth}
     */
    public int tokenCount() {
        return gridHeight * gridWidth;
    }

    /**
     * Floats per preprocessed frame.
     *
     * @return {@code 3 * inputHeight * inputWidth}
     */
    public int inputFloatsPerFrame() {
        return 3 * inputHeight * inputWidth;
    }

    /**
     * Whether {@link #model()} names a built-in model rather than a file.
     *
     * @return true for {@code builtin:<id>} or a bare built-in id
     */
    public boolean isBuiltinModel() {
        return model.startsWith(BUILTIN_PREFIX) || BuiltinModels.isBuiltin(model);
    }

    /**
     * The ONNX file to load: built-in models are obtained through {@code store} (converted and
     * cached on first use), anything else is taken as a path.
     *
     * @param store the model store for built-in models
     * @return the model file
     * @throws ModelUnavailableException if a built-in model cannot be obtained
     * @throws IllegalArgumentException if the file does not exist
     */
    public Path resolveModel(final ModelStore store) throws ModelUnavailableException {
        if (isBuiltinModel()) {
            final String builtinId =
                    model.startsWith(BUILTIN_PREFIX) ? model.substring(BUILTIN_PREFIX.length()) : model;
            return store.resolve(BuiltinModels.byId(builtinId));
        }
        final Path p = Path.of(model);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(
                    "encoder '" + id + "': model file " + p.toAbsolutePath() + " does not exist");
        }
        if (!Files.isReadable(p)) {
            throw new IllegalArgumentException("encoder '" + id + "': model file " + p.toAbsolutePath()
                    + " is not readable: check its permissions (the encoder runs as "
                    + System.getProperty("user.name") + ")");
        }
        return p;
    }

    /**
     * A copy that reads another output of the same model.
     *
     * @param name output name
     * @param layout its layout
     * @param gridH token rows
     * @param gridW token columns
     * @param dim channels per token
     * @return the new descriptor
     */
    public EncoderModelDescriptor withOutput(
            final String name, final OutputLayout layout, final int gridH, final int gridW, final int dim) {
        return new EncoderModelDescriptor(
                id,
                model,
                inputName,
                inputHeight,
                inputWidth,
                channelOrder,
                normalization,
                name,
                layout,
                gridH,
                gridW,
                dim,
                resample,
                modelDtype,
                checkpoint,
                tokenDtype);
    }

    /**
     * A copy whose tokens go on the wire in another element type.
     *
     * @param dtype the element type
     * @return the new descriptor
     */
    public EncoderModelDescriptor withTokenDtype(final TokenDtype dtype) {
        return new EncoderModelDescriptor(
                id,
                model,
                inputName,
                inputHeight,
                inputWidth,
                channelOrder,
                normalization,
                outputName,
                outputLayout,
                gridHeight,
                gridWidth,
                tokenDim,
                resample,
                modelDtype,
                checkpoint,
                dtype);
    }

    /**
     * A copy with another model reference (for example a file path instead of a built-in id).
     *
     * @param newModel built-in id or path
     * @return the new descriptor
     */
    public EncoderModelDescriptor withModel(final String newModel) {
        return new EncoderModelDescriptor(
                id,
                newModel,
                inputName,
                inputHeight,
                inputWidth,
                channelOrder,
                normalization,
                outputName,
                outputLayout,
                gridHeight,
                gridWidth,
                tokenDim,
                resample,
                modelDtype,
                checkpoint,
                tokenDtype);
    }

    // ---------------------------------------------------------------- validation

    /**
     * Checks the model's declared inputs and outputs against this descriptor. Unknown (symbolic)
     * dimensions and outputs declared without a shape pass; the encoder checks the actual output
     * shape on every run.
     *
     * @param session a session of the model
     * @throws ModelContractException listing every mismatch, with what the model declares
     * @throws OrtException if ONNX Runtime cannot report the model's metadata
     */
    public void validate(final OrtSession session) throws OrtException {
        DescriptorChecks.validate(this, session);
    }

    /**
     * Checks an actual output shape against this descriptor.
     *
     * @param shape the shape ONNX Runtime returned
     * @param batch the batch size that was fed
     * @throws ModelContractException if it does not match
     */
    public void checkOutputShape(final long[] shape, final int batch) {
        DescriptorChecks.checkOutputShape(this, shape, batch);
    }

    // ---------------------------------------------------------------- loading

    /**
     * A built-in descriptor: {@code mnv2-nsfwjs} (default), {@code mnv2-nsfwjs-136} or {@code
     * mnv3-centernet}.
     *
     * @param name descriptor name
     * @return the descriptor
     * @throws IllegalArgumentException if unknown
     */
    public static EncoderModelDescriptor builtin(final String name) {
        return DescriptorFiles.builtin(name);
    }

    /**
     * The default encoder: MobileNetV2-1.4 from nsfwjs, tokens from {@code feat_14x14_wide}
     * (196 tokens × 816).
     *
     * @return the descriptor
     */
    public static EncoderModelDescriptor defaultDescriptor() {
        return builtin("mnv2-nsfwjs");
    }

    /**
     * A descriptor named on a command line or in a config: a built-in name ({@link
     * #builtin(String)}), a descriptor file, or a model directory holding {@value
     * #DIRECTORY_DESCRIPTOR} (as written by {@code scissor export-encoder}).
     *
     * @param spec the name or path
     * @return the descriptor
     * @throws IOException if a descriptor file cannot be read
     * @throws IllegalArgumentException if it is none of these, or the descriptor is invalid
     */
    public static EncoderModelDescriptor resolve(final String spec) throws IOException {
        return DescriptorFiles.resolve(spec);
    }

    /**
     * Loads a descriptor file: JSON if the name ends in {@code .json} or the content starts with
     * <code>{</code>, else Java properties. A relative {@code model} path is resolved against the
     * file's directory. A directory stands for its {@value #DIRECTORY_DESCRIPTOR}.
     *
     * @param path the descriptor file, or a model directory holding {@value #DIRECTORY_DESCRIPTOR}
     * @return the descriptor
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if a key is missing or invalid, or a directory has no
     *     descriptor
     */
    public static EncoderModelDescriptor load(final Path path) throws IOException {
        return DescriptorFiles.load(path);
    }

    /**
     * Builds a descriptor from JSON text (flat dotted keys or nested objects).
     *
     * @param json the JSON text
     * @param baseDir directory against which a relative model path is resolved, or null
     * @return the descriptor
     */
    public static EncoderModelDescriptor fromJson(final String json, final Path baseDir) {
        return DescriptorParser.fromJson(json, baseDir);
    }

    /**
     * Builds a descriptor from properties.
     *
     * @param p the properties (keys as in the class docs)
     * @param baseDir directory against which a relative model path is resolved, or null
     * @return the descriptor
     */
    public static EncoderModelDescriptor fromProperties(final Properties p, final Path baseDir) {
        return DescriptorFiles.fromProperties(p, baseDir);
    }

    /**
     * Builds a descriptor from a key → value map (keys as in the class docs).
     *
     * @param m the values
     * @param baseDir directory against which a relative model path is resolved, or null
     * @return the descriptor
     */
    public static EncoderModelDescriptor fromMap(final Map<String, String> m, final Path baseDir) {
        return DescriptorParser.fromMap(m, baseDir);
    }

    /**
     * The descriptor as properties (loadable with {@link #fromProperties}).
     *
     * @return the properties
     */
    public Properties toProperties() {
        return DescriptorFiles.toProperties(this);
    }
}
