package dev.scissor.encoder.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.EncoderModelDescriptor.OutputLayout;
import dev.scissor.encoder.model.EncoderModelDescriptor.Resample;
import dev.scissor.encoder.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderModelDescriptorTest {

    private static final String PROPS = String.join(
            "\n",
            "id=tiny",
            "model=tiny.onnx",
            "input.name=pixel_values",
            "input.height=4",
            "input.width=4",
            "output.name=feat",
            "grid.height=4",
            "grid.width=4",
            "token.dim=3");

    @Test
    void loadsTheBuiltinDescriptors() {
        final EncoderModelDescriptor d = EncoderModelDescriptor.defaultDescriptor();
        assertEquals("mnv2-nsfwjs", d.id());
        assertTrue(d.isBuiltinModel());
        assertEquals("pixel_values", d.inputName());
        assertEquals(224, d.inputHeight());
        assertEquals(224, d.inputWidth());
        assertEquals(ChannelOrder.RGB, d.channelOrder());
        assertEquals(Normalization.UNIT, d.normalization());
        assertEquals("feat_14x14_wide", d.outputName());
        assertEquals(OutputLayout.NCHW, d.outputLayout());
        assertEquals(196, d.tokenCount());
        assertEquals(816, d.tokenDim());
        assertEquals(136, EncoderModelDescriptor.builtin("mnv2-nsfwjs-136").tokenDim());
        final EncoderModelDescriptor b = EncoderModelDescriptor.builtin("mnv3-centernet");
        assertEquals("feat_s16", b.outputName());
        assertEquals(88, b.tokenDim());
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> EncoderModelDescriptor.builtin("siglip"));
        assertTrue(e.getMessage().contains("known: mnv2-nsfwjs"), e.getMessage());
    }

    @Test
    void loadsPropertiesAndEquivalentJson(@TempDir final Path dir) throws Exception {
        final Path props = dir.resolve("tiny.properties");
        Files.writeString(
                props, PROPS + "\ninput.channelOrder=bgr\ninput.mean=0.5, 0.25, 0\n" + "input.std=0.5,0.5,2\n");
        final Path json = dir.resolve("tiny.json");
        Files.writeString(
                json,
                "{\"id\": \"tiny\", \"model\": \"tiny.onnx\", \"input\": {\"name\": "
                        + "\"pixel_values\", \"height\": 4, \"width\": 4, \"channelOrder\": \"BGR\", "
                        + "\"mean\": [0.5, 0.25, 0], \"std\": [0.5, 0.5, 2]}, \"output\": {\"name\": \"feat\"}, "
                        + "\"grid\": {\"height\": 4, \"width\": 4}, \"token.dim\": 3}");
        final EncoderModelDescriptor a = EncoderModelDescriptor.load(props);
        final EncoderModelDescriptor b = EncoderModelDescriptor.load(json);
        assertEquals(a, b);
        assertEquals(dir.resolve("tiny.onnx").toString(), a.model(), "relative to the file");
        assertEquals(ChannelOrder.BGR, a.channelOrder());
        assertArrayEquals(new float[] {0.5f, 0.25f, 0f}, a.normalization().mean());
        assertEquals((255 / 255f - 0.5f) / 0.5f, a.normalization().apply(0, 255), 1e-6);
        assertEquals(a, EncoderModelDescriptor.fromProperties(a.toProperties(), null));
    }

    @Test
    void tokenDtypeDefaultsToFloat32AndReadsFloat16() throws Exception {
        assertEquals(
                EncoderModelDescriptor.TokenDtype.FLOAT32,
                EncoderModelDescriptor.defaultDescriptor().tokenDtype(),
                "built-in encoders stay float32");
        final Properties p = new Properties();
        p.load(new java.io.StringReader(PROPS));
        assertEquals(
                EncoderModelDescriptor.TokenDtype.FLOAT32,
                EncoderModelDescriptor.fromProperties(p, null).tokenDtype(),
                "absent = float32");
        p.setProperty("token.dtype", "float16");
        final EncoderModelDescriptor half = EncoderModelDescriptor.fromProperties(p, null);
        assertEquals(EncoderModelDescriptor.TokenDtype.FLOAT16, half.tokenDtype());
        assertEquals("float16", half.toProperties().getProperty("token.dtype"));
        assertEquals(half, EncoderModelDescriptor.fromProperties(half.toProperties(), null));
        assertEquals(
                EncoderModelDescriptor.TokenDtype.FLOAT16,
                half.withModel("other.onnx")
                        .withOutput("o", OutputLayout.NTD, 2, 2, 3)
                        .tokenDtype());
        assertEquals(
                EncoderModelDescriptor.TokenDtype.FLOAT16,
                EncoderModelDescriptor.fromJson(
                                "{\"model\": \"m.onnx\", \"input\": {\"height\": 4, \"width\": 4}, \"output\": {\"name\": "
                                        + "\"feat\"}, \"grid\": {\"height\": 2, \"width\": 2}, \"token\": {\"dim\": 3, \"dtype\": "
                                        + "\"float16\"}}",
                                null)
                        .tokenDtype());
        assertMessage(PROPS + "\ntoken.dtype=bfloat16", "'token.dtype' must be float32 or float16, got 'bfloat16'");
    }

    @Test
    void reportsMissingAndInvalidKeys() {
        assertMessage(PROPS.replace("output.name=feat\n", ""), "'output.name' is required");
        assertMessage(PROPS.replace("token.dim=3", "token.dim=three"), "'token.dim' must be an integer, got 'three'");
        assertMessage(PROPS.replace("grid.width=4", "grid.width=0"), "'grid.width' must be a positive");
        assertMessage(PROPS + "\noutput.layout=NHWC", "'output.layout' must be one of [NCHW, NTD]");
        assertMessage(PROPS + "\ninput.range=-1..1", "input.range must be 0..1 or 0..255");
        assertMessage(PROPS + "\ninput.std=1,0,1", "std must be positive");
        assertMessage(PROPS + "\ninput.mean=1,2", "'input.mean' needs 3 comma-separated values");
        assertMessage(PROPS + "\ntokens=3", "unknown encoder descriptor key 'tokens'");
    }

    private static void assertMessage(final String props, final String expected) {
        final IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> EncoderModelDescriptor.fromJson(toJson(props), null));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static String toJson(final String props) {
        final StringBuilder sb = new StringBuilder("{");
        for (final String line : props.split("\n")) {
            final int eq = line.indexOf('=');
            sb.append(sb.length() > 1 ? "," : "")
                    .append('"')
                    .append(line, 0, eq)
                    .append("\":\"")
                    .append(line.substring(eq + 1))
                    .append('"');
        }
        return sb.append('}').toString();
    }

    @Test
    void validatesAMatchingModel() throws Exception {
        final EncoderModelDescriptor d = tiny();
        withSession(
                TinyModels.identity("pixel_values", 3, 4, 4, "feat", true),
                s -> assertDoesNotThrow(() -> d.validate(s)));
        // Outputs declared with only an element type pass (checked at run time).
        withSession(
                TinyModels.identity("pixel_values", 3, 4, 4, "feat", false),
                s -> assertDoesNotThrow(() -> d.validate(s)));
    }

    @Test
    void namesMissingInputsAndOutputs() throws Exception {
        withSession(TinyModels.identity("images", 3, 4, 4, "feat_x", true), s -> {
            final ModelContractException e = assertThrows(ModelContractException.class, () -> tiny().validate(s));
            assertTrue(
                    e.getMessage().contains("model has no input 'pixel_values'; inputs are [images [?,3,4,4]]"),
                    e.getMessage());
            assertTrue(
                    e.getMessage().contains("model has no output 'feat'; outputs are [feat_x [?,3,4,4]]"),
                    e.getMessage());
        });
    }

    @Test
    void reportsWrongSizes() throws Exception {
        withSession(TinyModels.identity("pixel_values", 1, 8, 4, "feat", true), s -> {
            final ModelContractException e = assertThrows(ModelContractException.class, () -> tiny().validate(s));
            assertTrue(
                    e.getMessage().contains("input 'pixel_values' has shape [?,1,8,4], expected " + "[N,3,4,4]"),
                    e.getMessage());
            assertTrue(
                    e.getMessage().contains("output 'feat' has shape [?,1,8,4], expected " + "[N,3,4,4]"),
                    e.getMessage());
        });
        final EncoderModelDescriptor ntd =
                tiny().withOutput("tokens", OutputLayout.NTD, 2, 2, 3).withModel("x.onnx");
        withSession(TinyModels.ntd(), s -> {
            final EncoderModelDescriptor d2 = new EncoderModelDescriptor(
                    "ntd",
                    "x.onnx",
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
            assertDoesNotThrow(() -> d2.validate(s));
            final ModelContractException e = assertThrows(
                    ModelContractException.class,
                    () -> d2.withOutput("tokens", OutputLayout.NTD, 3, 3, 3).validate(s));
            assertTrue(e.getMessage().contains("has shape [?,4,3], expected [N,9,3]"), e.getMessage());
        });
        assertEquals(4, ntd.tokenCount());
        final ModelContractException e =
                assertThrows(ModelContractException.class, () -> tiny().checkOutputShape(new long[] {2, 3, 2, 2}, 2));
        assertTrue(
                e.getMessage().contains("output 'feat' has shape [2,3,2,2] but the descriptor " + "expects [2,3,4,4]"),
                e.getMessage());
    }

    @Test
    void refusesAMissingModelFile(@TempDir final Path dir) {
        final EncoderModelDescriptor d =
                tiny().withModel(dir.resolve("nope.onnx").toString());
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> d.resolveModel(ModelStore.fromEnvironment()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aModelDirectoryStandsForItsEncoderProperties(@TempDir final Path dir) throws Exception {
        Files.writeString(
                dir.resolve("encoder.properties"),
                PROPS.replace("tiny.onnx", "model.onnx")
                        + "\noutput.layout=NTD\ninput.resample=pil-bicubic\ntoken.dtype=float32\n"
                        + "model.dtype=float16\ncheckpoint=llava-hf/llava-onevision-qwen2-0.5b-ov-hf\n");
        for (final EncoderModelDescriptor d : new EncoderModelDescriptor[] {
            EncoderModelDescriptor.load(dir),
            EncoderModelDescriptor.resolve(dir.toString()),
            EncoderModelDescriptor.resolve(dir.resolve("encoder.properties").toString())
        }) {
            assertEquals(dir.resolve("model.onnx").toAbsolutePath().normalize().toString(), d.model());
            assertEquals(Resample.PIL_BICUBIC, d.resample());
            assertEquals("float16", d.modelDtype());
            assertEquals("llava-hf/llava-onevision-qwen2-0.5b-ov-hf", d.checkpoint());
            assertEquals(OutputLayout.NTD, d.outputLayout());
            assertEquals(d, EncoderModelDescriptor.fromProperties(d.toProperties(), null));
        }
        assertEquals(Resample.BILINEAR, tiny().resample());
        assertEquals("float32", tiny().modelDtype());
        assertEquals(
                "mnv2-nsfwjs", EncoderModelDescriptor.resolve("mnv2-nsfwjs").id());
    }

    @Test
    void refusesDirectoriesWithoutDescriptorAndUnreadableTokenTypes(@TempDir final Path dir) throws Exception {
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> EncoderModelDescriptor.load(dir));
        assertTrue(e.getMessage().contains("has no encoder.properties"), e.getMessage());
        final IllegalArgumentException e2 = assertThrows(
                IllegalArgumentException.class,
                () -> EncoderModelDescriptor.resolve(dir.resolve("nowhere").toString()));
        assertTrue(e2.getMessage().contains("neither a built-in encoder"), e2.getMessage());
        Files.writeString(dir.resolve("encoder.properties"), PROPS + "\ntoken.dtype=bfloat16\n");
        final IllegalArgumentException e3 =
                assertThrows(IllegalArgumentException.class, () -> EncoderModelDescriptor.load(dir));
        assertTrue(e3.getMessage().contains("'token.dtype' must be float32 or float16"), e3.getMessage());
        Files.writeString(dir.resolve("encoder.properties"), PROPS + "\ninput.resample=lanczos\n");
        final IllegalArgumentException e4 =
                assertThrows(IllegalArgumentException.class, () -> EncoderModelDescriptor.load(dir));
        assertTrue(e4.getMessage().contains("'input.resample' must be one of"), e4.getMessage());
    }

    private static EncoderModelDescriptor tiny() {
        return EncoderModelDescriptor.fromJson(toJson(PROPS), null);
    }

    private static void withSession(final byte[] model, final Consumer<OrtSession> body) throws Exception {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = OrtEnvironment.getEnvironment().createSession(model, o)) {
            body.accept(s);
        }
    }
}
