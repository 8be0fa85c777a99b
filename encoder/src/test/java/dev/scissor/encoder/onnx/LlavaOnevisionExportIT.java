package dev.scissor.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.EncoderModelDescriptor.OutputLayout;
import dev.scissor.encoder.model.ModelContractException;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.ImagePreprocessor.PixelFormat;
import dev.scissor.encoder.testing.ExporterPython;
import dev.scissor.encoder.testing.ExporterPython.Run;
import dev.scissor.encoder.testing.TestAssets;
import dev.scissor.encoder.testing.TestAssets.Image;
import dev.scissor.encoder.testing.TestNpy;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * LLaVA-OneVision's own vision path as the encoder: tiny, architecture-true checkpoints with
 * random weights ({@code scissor_export.make_tiny_checkpoint}: 384px/patch 14 to 14x14 tokens of
 * 64, and 224px/patch 16 with two concatenated feature layers to 7x7 tokens of 96, in the hub's
 * sharded key layout) are exported with {@code scissor_export} (the {@code scissor
 * export-encoder} tool) in float32 and float16, loaded through the descriptor directory, run by
 * {@link OnnxVisionEncoder} on the darknet photos preprocessed in Java, and compared with what
 * transformers' {@code get_video_features} computes from the same decoded pixels.
 *
 * <p>Needs the exporter's venv ({@code -Dscissor.python}, from {@code encoder/python/setup-venv.sh})
 * and the photos; without them the tests are skipped, or fail with {@code
 * scissor.test.requireAssets=true}.
 */
class LlavaOnevisionExportIT {

    /** float32 bound on max|java - transformers| / max|transformers| (measured: below 1e-6). */
    private static final double F32_BOUND = 1e-3;
    /** float16 bound (measured: 5e-4 to 7e-4 of the largest value). */
    private static final double F16_BOUND = 5e-3;
    /** Java preprocessing vs the PIL image processor: the same bytes, float rounding only. */
    private static final double PIXEL_BOUND = 1e-5;

    @TempDir
    static Path work;

    private static ExporterPython py;
    private static Path checkpoints;
    private static final Map<String, Path> EXPORTED = new HashMap<>();
    private static final Map<String, Reference> REFERENCES = new HashMap<>();

    /** Frames fed to both sides and what transformers made of them. */
    private record Reference(List<Image> frames, TestNpy.Floats pixels, TestNpy.Floats features) {}

    @BeforeAll
    static void buildTinyCheckpoints() throws Exception {
        py = ExporterPython.require();
        checkpoints = work.resolve("checkpoints");
        final Run r =
                py.runOk(180, "scissor_export.make_tiny_checkpoint", "--out", checkpoints.toString(), "--seed", "7");
        System.out.printf(Locale.ROOT, "tiny checkpoints built in %d ms%n", r.millis());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "tiny-384, float32, 384, 14, 64, pil-bicubic",
        "tiny-384, float16, 384, 14, 64, pil-bicubic",
        "tiny-224, float32, 224, 7, 96, pil-bilinear",
        "tiny-224, float16, 224, 7, 96, pil-bilinear"
    })
    void exportedTowerMatchesTransformersOnRealPhotos(
            final String ckpt, final String dtype, final int size, final int grid, final int dim, final String resample)
            throws Exception {
        final Path dir = exported(ckpt, dtype);
        final EncoderModelDescriptor d = EncoderModelDescriptor.resolve(dir.toString());
        assertEquals(size, d.inputHeight());
        assertEquals(size, d.inputWidth());
        assertEquals(grid, d.gridHeight());
        assertEquals(grid, d.gridWidth());
        assertEquals(dim, d.tokenDim());
        assertEquals(OutputLayout.NTD, d.outputLayout());
        assertEquals(resample, d.resample().key());
        assertEquals(dtype, d.modelDtype());
        assertEquals(checkpoints.resolve(ckpt).toString(), d.checkpoint());

        final Reference ref = reference(ckpt, size);
        final int n = ref.frames().size();
        final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(d);
        final FloatBuffer batch = pre.allocate(n);
        for (int i = 0; i < n; i++) {
            final Image im = ref.frames().get(i);
            pre.preprocess(
                    java.nio.ByteBuffer.wrap(im.bgr()),
                    im.width(),
                    im.height(),
                    im.stride(),
                    PixelFormat.BGR24,
                    batch,
                    i);
        }
        final float[] javaPixels = new float[n * pre.floatsPerFrame()];
        batch.duplicate().clear().get(javaPixels);
        assertArrayEquals(new long[] {n, 3, size, size}, ref.pixels().shape());
        final double pixelDiff = maxAbsDiff(javaPixels, ref.pixels().data());

        final float[] tokens;
        final float[] single;
        final long t0 = System.nanoTime();
        try (OnnxVisionEncoder enc =
                OnnxVisionEncoder.open(d, ModelStore.fromEnvironment(), OnnxVisionEncoder.Options.cpu(2))) {
            tokens = flatten(enc.encode(batch, n));
            single = enc.encode(pre.allocate(1).put(0, javaPixels, 0, pre.floatsPerFrame()), 1)[0];
        }
        final long encodeMs = (System.nanoTime() - t0) / 1_000_000;
        final float[] expected = ref.features().data();
        assertArrayEquals(
                new long[] {n, (long) grid * grid, dim}, ref.features().shape());
        final double maxRef = maxAbs(expected);
        final double rel = maxAbsDiff(tokens, expected) / maxRef;
        final double[] elem = elementwiseRelative(tokens, expected);
        System.out.printf(
                Locale.ROOT,
                "%s %s: %d frames -> [%d,%d,%d]; pixels max|diff| %.2e; "
                        + "tokens max|diff|/max|ref| %.3e; elementwise |diff|/|ref| max %.3e, median %.3e, "
                        + "p99 %.3e; open+encode %d ms%n",
                ckpt,
                dtype,
                n,
                n,
                grid * grid,
                dim,
                pixelDiff,
                rel,
                elem[0],
                elem[1],
                elem[2],
                encodeMs);
        assertTrue(
                pixelDiff <= PIXEL_BOUND,
                "Java preprocessing differs from the checkpoint's " + "image processor by " + pixelDiff);
        final double bound = "float16".equals(dtype) ? F16_BOUND : F32_BOUND;
        assertTrue(rel <= bound, ckpt + " " + dtype + ": relative error " + rel + " > " + bound);
        assertArrayEquals(
                Arrays.copyOf(tokens, single.length),
                single,
                (float) (maxRef * 1e-5),
                "a batch of 1 gives the first frame of the batch");
    }

    @Test
    void anotherArchitectureIsAOneLineErrorWithExitCode2() throws Exception {
        for (final String type : new String[] {"bert", "qwen2_5_vl"}) {
            final Path dir = Files.createDirectories(work.resolve("bad-" + type));
            Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + type + "\"}");
            final Run r = export(dir, work.resolve("out-" + type));
            assertOneLineError(r, "model_type '" + type + "' is not LLaVA-OneVision");
        }
    }

    @Test
    void missingWeightsOrConfigIsAOneLineErrorWithExitCode2() throws Exception {
        final Path noWeights = Files.createDirectories(work.resolve("no-weights"));
        for (final String f : new String[] {"config.json", "preprocessor_config.json"}) {
            Files.copy(checkpoints.resolve("tiny-384").resolve(f), noWeights.resolve(f));
        }
        assertOneLineError(export(noWeights, work.resolve("o1")), "no weights file (*.safetensors)");

        final Path lostShard = Files.createDirectories(work.resolve("lost-shard"));
        try (var files = Files.list(checkpoints.resolve("tiny-224"))) {
            for (final Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().startsWith("model-00002")) {
                    Files.copy(f, lostShard.resolve(f.getFileName()));
                }
            }
        }
        assertOneLineError(
                export(lostShard, work.resolve("o2")),
                "weights file model-00002-of-00002.safetensors named in model.safetensors.index.json is " + "missing");

        final Path empty = Files.createDirectories(work.resolve("empty"));
        assertOneLineError(export(empty, work.resolve("o3")), "no config.json");
        assertFalse(Files.exists(work.resolve("o1").resolve("model.onnx")));
    }

    @Test
    void theLanguageModelShardsAreNeitherReadNorNeeded() throws Exception {
        final Path visionOnly = Files.createDirectories(work.resolve("vision-shard-only"));
        try (var files = Files.list(checkpoints.resolve("tiny-224"))) {
            for (final Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().startsWith("model-00001")) { // shard 1: the LLM
                    Files.copy(f, visionOnly.resolve(f.getFileName()));
                }
            }
        }
        final Path out = work.resolve("vision-shard-only-out");
        final Run r = export(visionOnly, out);
        assertEquals(0, r.exitCode(), r.stderr());
        final EncoderModelDescriptor d = EncoderModelDescriptor.resolve(out.toString());
        final EncoderModelDescriptor full =
                EncoderModelDescriptor.resolve(exported("tiny-224", "float32").toString());
        assertEquals(visionOnly.toString(), d.checkpoint());
        assertEquals(full.normalization(), d.normalization());
        assertEquals(full.resample(), d.resample());
        assertEquals(full.tokenCount(), d.tokenCount());
        assertEquals(full.tokenDim(), d.tokenDim());
        assertArrayEquals(
                Files.readAllBytes(out.resolve("image_newline.npy")),
                Files.readAllBytes(Path.of(full.model()).resolveSibling("image_newline.npy")));
    }

    @Test
    void aDescriptorThatDoesNotMatchTheOnnxOutputsFailsAtLoad() throws Exception {
        final Path good = exported("tiny-384", "float32");
        final String props = Files.readString(good.resolve("encoder.properties"), StandardCharsets.UTF_8);
        final String[][] cases = {
            {"token.dim=64", "token.dim=65", "output 'tokens' has shape [?,196,64], expected " + "[N,196,65]"},
            {"grid.height=14", "grid.height=13", "output 'tokens' has shape [?,196,64], expected " + "[N,182,64]"},
            {
                "output.name=tokens",
                "output.name=patch_tokens",
                "model has no output " + "'patch_tokens'; outputs are [tokens [?,196,64]]"
            },
            {
                "input.height=384",
                "input.height=336",
                "input 'pixel_values' has shape " + "[?,3,384,384], expected [N,3,336,384]"
            }
        };
        for (final String[] c : cases) {
            final Path dir = Files.createDirectories(work.resolve("mismatch-" + c[1].replace('=', '-')));
            Files.copy(good.resolve("model.onnx"), dir.resolve("model.onnx"));
            assertTrue(props.contains(c[0] + "\n"), c[0]);
            Files.writeString(dir.resolve("encoder.properties"), props.replace(c[0] + "\n", c[1] + "\n"));
            final EncoderModelDescriptor d = EncoderModelDescriptor.resolve(dir.toString());
            final ModelContractException e = assertThrows(
                    ModelContractException.class,
                    () -> OnnxVisionEncoder.open(d, ModelStore.fromEnvironment(), OnnxVisionEncoder.Options.cpu(1))
                            .close());
            assertTrue(e.getMessage().contains(c[2]), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Run export(final Path from, final Path out) throws Exception {
        return py.run(300, "scissor_export", "--from", from.toString(), "--out", out.toString());
    }

    private static void assertOneLineError(final Run r, final String expected) {
        assertEquals(2, r.exitCode(), r.stderr());
        final String err = r.stderr().strip();
        assertFalse(err.contains("\n"), "not one line:\n" + err);
        assertTrue(err.startsWith("scissor export-encoder: error: "), err);
        assertTrue(err.contains(expected), err);
    }

    private static synchronized Path exported(final String ckpt, final String dtype) throws Exception {
        final String key = ckpt + "-" + dtype;
        Path dir = EXPORTED.get(key);
        if (dir == null) {
            dir = work.resolve("exported").resolve(key);
            final Run r = py.runOk(
                    300,
                    "scissor_export",
                    "--from",
                    checkpoints.resolve(ckpt).toString(),
                    "--out",
                    dir.toString(),
                    "--dtype",
                    dtype);
            System.out.printf(Locale.ROOT, "exported %s in %d ms%n", key, r.millis());
            assertTrue(Files.isRegularFile(dir.resolve("model.onnx")));
            assertTrue(Files.isRegularFile(dir.resolve("encoder.properties")));
            assertTrue(Files.isRegularFile(dir.resolve("image_newline.npy")));
            EXPORTED.put(key, dir);
        }
        return dir;
    }

    /**
     * The frames (three darknet photos, and a crop of a fourth at exactly the input size, which
     * must not be resampled) and transformers' features of them, computed once per checkpoint.
     */
    private static synchronized Reference reference(final String ckpt, final int size) throws Exception {
        final Reference cached = REFERENCES.get(ckpt);
        if (cached != null) {
            return cached;
        }
        final Path photos = TestAssets.darknetImages();
        final List<Image> frames = new ArrayList<>();
        for (final String name : new String[] {"dog.jpg", "horses.jpg", "person.jpg"}) {
            frames.add(TestAssets.readBgr(photos.resolve(name)));
        }
        frames.add(crop(TestAssets.readBgr(photos.resolve("giraffe.jpg")), 100, 20, size, size));
        final Path dir = Files.createDirectories(work.resolve("ref-" + ckpt));
        final List<String> args = new ArrayList<>(List.of(
                "--checkpoint",
                checkpoints.resolve(ckpt).toString(),
                "--out-features",
                dir.resolve("f.npy").toString(),
                "--out-pixels",
                dir.resolve("p.npy").toString()));
        for (int i = 0; i < frames.size(); i++) {
            final Image im = frames.get(i);
            final Path f = dir.resolve("frame" + i + ".npy");
            TestNpy.writeUint8(f, toRgb(im), im.height(), im.width(), 3);
            args.add(f.toString());
        }
        final Run r = py.runOk(300, "scissor_export.reference_features", args.toArray(String[]::new));
        System.out.printf(Locale.ROOT, "reference features of %s in %d ms%n", ckpt, r.millis());
        final Reference ref = new Reference(
                frames, TestNpy.readFloat32(dir.resolve("p.npy")), TestNpy.readFloat32(dir.resolve("f.npy")));
        REFERENCES.put(ckpt, ref);
        return ref;
    }

    private static Image crop(final Image im, final int x0, final int y0, final int w, final int h) {
        final byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(im.bgr(), (y0 + y) * im.stride() + x0 * 3, out, y * w * 3, w * 3);
        }
        return new Image(out, w, h);
    }

    private static byte[] toRgb(final Image im) {
        final byte[] rgb = new byte[im.width() * im.height() * 3];
        for (int y = 0; y < im.height(); y++) {
            for (int x = 0; x < im.width(); x++) {
                final int s = y * im.stride() + x * 3;
                final int t = (y * im.width() + x) * 3;
                rgb[t] = im.bgr()[s + 2];
                rgb[t + 1] = im.bgr()[s + 1];
                rgb[t + 2] = im.bgr()[s];
            }
        }
        return rgb;
    }

    private static float[] flatten(final float[][] rows) {
        final int per = rows[0].length;
        final float[] out = new float[rows.length * per];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * per, per);
        }
        return out;
    }

    private static double maxAbs(final float[] v) {
        double m = 0;
        for (final float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double maxAbsDiff(final float[] a, final float[] b) {
        assertEquals(b.length, a.length, "array lengths");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Max, median and 99th percentile of |a-b|/|b| over the elements with b != 0. */
    private static double[] elementwiseRelative(final float[] a, final float[] b) {
        final double[] r = new double[b.length];
        int n = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0) {
                r[n++] = Math.abs((double) a[i] - b[i]) / Math.abs(b[i]);
            }
        }
        final double[] s = Arrays.copyOf(r, n);
        Arrays.sort(s);
        return new double[] {s[n - 1], s[n / 2], s[(int) (n * 0.99)]};
    }
}
