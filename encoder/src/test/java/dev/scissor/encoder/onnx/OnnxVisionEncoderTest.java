package dev.scissor.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.EncoderModelDescriptor.OutputLayout;
import dev.scissor.encoder.model.ModelContractException;
import dev.scissor.encoder.model.Normalization;
import dev.scissor.encoder.onnx.ImagePreprocessor.PixelFormat;
import dev.scissor.encoder.onnx.OnnxVisionEncoder.Device;
import dev.scissor.encoder.onnx.OnnxVisionEncoder.Options;
import dev.scissor.encoder.testing.TinyModels;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The encoder on tiny generated models whose outputs are known exactly. */
class OnnxVisionEncoderTest {

    /** Identity model: the "feature map" is the input itself, so token (r, c) = pixel (r, c). */
    private static EncoderModelDescriptor identity(final int gridH, final int gridW) {
        return new EncoderModelDescriptor(
                "identity",
                "identity.onnx",
                "pixel_values",
                4,
                4,
                ChannelOrder.RGB,
                Normalization.UNIT,
                "feat",
                OutputLayout.NCHW,
                gridH,
                gridW,
                3);
    }

    private static FloatBuffer ramp(final int batch) {
        final FloatBuffer fb = new ImagePreprocessor(4, 4, ChannelOrder.RGB, Normalization.UNIT).allocate(batch);
        for (int i = 0; i < fb.capacity(); i++) {
            fb.put(i, i);
        }
        return fb;
    }

    @Test
    void transposesNchwIntoRowMajorTokens() throws Exception {
        try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(
                identity(4, 4), TinyModels.identity("pixel_values", 3, 4, 4, "feat", false), Options.DEFAULT)) {
            assertEquals("CPU", enc.executionProvider());
            assertEquals(16, enc.tokenCount());
            assertEquals(3, enc.tokenDim());
            final float[][] tokens = enc.encode(ramp(2), 2);
            assertEquals(2, tokens.length);
            for (int b = 0; b < 2; b++) {
                assertEquals(48, tokens[b].length);
                for (int row = 0; row < 4; row++) {
                    for (int col = 0; col < 4; col++) {
                        final int t = row * 4 + col;
                        for (int c = 0; c < 3; c++) {
                            // input index of [b, c, row, col]
                            assertEquals(b * 48 + c * 16 + row * 4 + col, tokens[b][t * 3 + c], 0f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void encodesImagesEndToEndWithThePreprocessor() throws Exception {
        final EncoderModelDescriptor d = identity(4, 4);
        final byte[] bgr = new byte[4 * 4 * 3];
        bgr[3 * 5] = (byte) 255; // pixel (1,1): blue = 255
        bgr[3 * 10 + 2] = (byte) 51; // pixel (2,2): red = 51
        try (OnnxVisionEncoder enc =
                OnnxVisionEncoder.open(d, TinyModels.identity("pixel_values", 3, 4, 4, "feat", true), Options.cpu(1))) {
            final FloatBuffer in = ImagePreprocessor.forDescriptor(d).preprocess(bgr, 4, 4, 12, PixelFormat.BGR24);
            final float[] t = enc.encode(in, 1)[0];
            assertArrayEquals(new float[] {0, 0, 1}, java.util.Arrays.copyOfRange(t, 15, 18));
            assertArrayEquals(new float[] {0.2f, 0, 0}, java.util.Arrays.copyOfRange(t, 30, 33), 1e-6f);
        }
    }

    @Test
    void passesNtdOutputsThrough(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("ntd.onnx");
        Files.write(file, TinyModels.ntd());
        final EncoderModelDescriptor d = new EncoderModelDescriptor(
                "ntd",
                file.toString(),
                "x",
                2,
                2,
                ChannelOrder.RGB,
                Normalization.UNIT,
                "tokens",
                OutputLayout.NTD,
                2,
                2,
                3);
        try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(d, file, Options.DEFAULT)) {
            final FloatBuffer in = FloatBuffer.allocate(12); // heap buffers work too (copied)
            for (int i = 0; i < 12; i++) {
                in.put(i, i);
            }
            final float[] t = enc.encode(in, 1)[0];
            assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t);
        }
    }

    @Test
    void aCorruptModelFileFailsAtStartUpSayingWhatIsWrongAndWhatToDo(@TempDir final Path dir) throws Exception {
        final java.util.Random random = new java.util.Random(7);
        final byte[] garbage = new byte[4096];
        random.nextBytes(garbage);
        final java.util.Map<String, byte[]> files = java.util.Map.of(
                "garbage.onnx",
                garbage,
                "empty.onnx",
                new byte[0],
                "lfs.onnx",
                ("version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab".repeat(32) + "\nsize 9000000\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                "page.onnx",
                "<!DOCTYPE html><html><body>404</body></html>".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        final java.util.Map<String, String> expected = java.util.Map.of(
                "garbage.onnx", "(4096 bytes) is corrupt, truncated or not an ONNX model",
                "empty.onnx", "is empty (0 bytes)",
                "lfs.onnx", "is a Git LFS pointer",
                "page.onnx", "looks like HTML");
        for (final var f : files.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
            // A descriptor file with a relative model path, as an operator writes it.
            final Path descriptorFile = dir.resolve(f.getKey() + ".properties");
            Files.writeString(
                    descriptorFile,
                    "id=custom\nmodel=" + f.getKey() + "\ninput.name=x\n"
                            + "input.height=4\ninput.width=4\noutput.name=feat\noutput.layout=NCHW\n"
                            + "grid.height=4\ngrid.width=4\ntoken.dim=3\n");
            final EncoderModelDescriptor d = EncoderModelDescriptor.load(descriptorFile);
            final ai.onnxruntime.OrtException e = assertThrows(
                    ai.onnxruntime.OrtException.class,
                    () -> OnnxVisionEncoder.open(
                            d,
                            new dev.scissor.encoder.model.ModelStore(
                                    dir, java.util.List.of("npm"), java.time.Duration.ofSeconds(1)),
                            Options.DEFAULT));
            final String m = e.getMessage();
            assertTrue(
                    m.startsWith("encoder 'custom': ONNX Runtime cannot load the model "
                            + dir.resolve(f.getKey()).toAbsolutePath()),
                    m);
            assertTrue(m.contains(expected.get(f.getKey())), m);
            assertTrue(m.contains("Replace it with a valid .onnx file"), m);
            assertTrue(m.contains("builtin:mnv2-nsfwjs"), m);
            assertTrue(e.getCause() instanceof ai.onnxruntime.OrtException, "ONNX Runtime's own error");
        }
    }

    @Test
    void checksTheOutputShapeAtRunTime() throws Exception {
        // H and W are symbolic, so only the actual run can tell that the grid is wrong.
        try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(
                identity(2, 2), TinyModels.identity("pixel_values", 3, -1, -1, "feat", false), Options.DEFAULT)) {
            final ModelContractException e = assertThrows(ModelContractException.class, () -> enc.encode(ramp(1), 1));
            assertTrue(
                    e.getMessage().contains("has shape [1,3,4,4] but the descriptor expects " + "[1,3,2,2]"),
                    e.getMessage());
        }
    }

    @Test
    void refusesAModelThatDoesNotMatchTheDescriptor() {
        final ModelContractException e = assertThrows(
                ModelContractException.class,
                () -> OnnxVisionEncoder.open(
                        identity(4, 4), TinyModels.identity("pixel_values", 3, 4, 4, "other", true), Options.DEFAULT));
        assertTrue(
                e.getMessage().contains("model has no output 'feat'; outputs are [other [?,3,4,4]]"), e.getMessage());
    }

    @Test
    void prunesToTheTokenOutput() throws Exception {
        final EncoderModelDescriptor d = new EncoderModelDescriptor(
                "two",
                "two.onnx",
                "x",
                4,
                4,
                ChannelOrder.RGB,
                Normalization.UNIT,
                "double",
                OutputLayout.NCHW,
                4,
                4,
                3);
        final byte[] model = TinyModels.twoOutputs();
        final byte[] pruned = GraphPruner.pruneToOutput(model, "double").orElseThrow();
        final ai.onnx.proto.OnnxMl.GraphProto g =
                ai.onnx.proto.OnnxMl.ModelProto.parseFrom(pruned).getGraph();
        assertEquals(1, g.getNodeCount());
        assertEquals("Mul", g.getNode(0).getOpType());
        assertEquals(1, g.getOutputCount());
        assertTrue(GraphPruner.pruneToOutput(model, "missing").isEmpty());
        assertTrue(GraphPruner.pruneToOutput(pruned, "double").isEmpty(), "nothing left to prune");
        for (final boolean prune : new boolean[] {true, false}) {
            try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(d, model, new Options(Device.CPU, 0, 1, prune))) {
                final float[] t = enc.encode(ramp(1), 1)[0];
                assertEquals(2 * 17, t[1 * 3 + 1], 0f); // token 1, channel 1 = 2 * input[1*16 + 1]
            }
        }
    }

    @Test
    void validatesArgumentsAndLifecycle() throws Exception {
        final OnnxVisionEncoder enc = OnnxVisionEncoder.open(
                identity(4, 4), TinyModels.identity("pixel_values", 3, 4, 4, "feat", true), Options.DEFAULT);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> enc.encode(ramp(1), 2));
        assertTrue(e.getMessage().contains("a batch of 2 needs 96"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> enc.encode(ramp(1), 0));
        enc.close();
        enc.close(); // idempotent
        final IllegalStateException closed = assertThrows(IllegalStateException.class, () -> enc.encode(ramp(1), 1));
        assertTrue(closed.getMessage().contains("closed"));
    }

    @Test
    void requiringCudaOnACpuBuildFailsClearly() {
        assumeFalse(
                OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA), "this ONNX Runtime build has CUDA");
        final IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> OnnxVisionEncoder.open(
                        identity(4, 4),
                        TinyModels.identity("pixel_values", 3, 4, 4, "feat", true),
                        new Options(Device.CUDA, 0, 0, true)));
        assertTrue(e.getMessage().contains("no CUDA provider"), e.getMessage());
        assertTrue(e.getMessage().contains("-Pgpu"), e.getMessage());
    }
}
