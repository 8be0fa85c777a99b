package dev.scissor.encoder.tfjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.tfjs.TfjsFixture.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfjsGraphModelTest {

    private static final float[] VALUES = {-1.5f, -0.25f, 0f, 0.125f, 0.75f, 2f};

    private static TfjsFixture allStorages() {
        return new TfjsFixture()
                .placeholder("x", -1, 2, 3, 1)
                .constant("f32", Storage.FLOAT32, new int[] {2, 3}, VALUES)
                .constant("u8", Storage.UINT8, new int[] {6}, VALUES)
                .constant("u16", Storage.UINT16, new int[] {3, 2}, VALUES)
                .constant("f16", Storage.FLOAT16, new int[] {1, 6}, VALUES)
                .constant("i32", Storage.INT32, new int[] {2}, 1, 2)
                .op("y", "Identity", List.of("x"));
    }

    @Test
    void decodesEveryStorage() throws Exception {
        final TfjsGraphModel m = allStorages().load();
        assertEquals(
                List.of("f32", "u8", "u16", "f16", "i32"),
                List.copyOf(m.weights().keySet()));
        assertArrayEquals(VALUES, m.weights().get("f32").floats());
        assertArrayEquals(new int[] {2, 3}, m.weights().get("f32").shape());
        // uint8: w = q * scale + min with scale = 3.5 / 255; every value is within half a step.
        assertArrayEquals(VALUES, m.weights().get("u8").floats(), 3.5f / 255 / 2 + 1e-6f);
        assertEquals(-1.5f, m.weights().get("u8").floats()[0], 0f); // q = 0 gives min exactly
        assertArrayEquals(VALUES, m.weights().get("u16").floats(), 3.5f / 65535 / 2 + 1e-6f);
        assertArrayEquals(VALUES, m.weights().get("f16").floats(), 0f); // all exact in half
        assertArrayEquals(new int[] {1, 2}, m.weights().get("i32").ints());
        assertEquals("graph-model", m.field("format"));
        assertEquals(
                List.of("x", "f32", "u8", "u16", "f16", "i32", "y"),
                m.nodes().stream().map(TfNode::name).toList());
    }

    @Test
    void readsTheNsfwjsJsModulePackaging(@TempDir final Path dir) throws Exception {
        final TfjsFixture f = allStorages();
        for (final Map.Entry<String, byte[]> e : f.jsModuleFiles().entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        final TfjsGraphModel js = TfjsGraphModel.load(dir); // finds model.min.js
        final TfjsGraphModel std = f.load();
        assertEquals(std.nodes(), js.nodes());
        for (final String k : std.weights().keySet()) {
            final TfjsTensor a = std.weights().get(k);
            final TfjsTensor b = js.weights().get(k);
            if (a.isFloat()) {
                assertArrayEquals(a.floats(), b.floats(), k);
            } else {
                assertArrayEquals(a.ints(), b.ints(), k);
            }
        }
    }

    @Test
    void decodesHalfFloats() {
        assertEquals(1f, TfjsGraphModel.halfToFloat((short) 0x3C00));
        assertEquals(-2f, TfjsGraphModel.halfToFloat((short) 0xC000));
        assertEquals(65504f, TfjsGraphModel.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, TfjsGraphModel.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, TfjsGraphModel.halfToFloat((short) 0x0400));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(TfjsGraphModel.halfToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, TfjsGraphModel.halfToFloat((short) 0x7C00));
        assertTrue(Float.isNaN(TfjsGraphModel.halfToFloat((short) 0x7E00)));
    }

    @Test
    void rejectsLayersModelsAndMissingFiles(@TempDir final Path dir) throws Exception {
        Files.writeString(
                dir.resolve("model.json"), "{\"format\":\"layers-model\",\"modelTopology\":{},\"weightsManifest\":[]}");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfjsGraphModel.load(dir));
        assertTrue(e.getMessage().contains("only TFJS graph-model"), e.getMessage());
        final Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThrows(java.io.IOException.class, () -> TfjsGraphModel.load(empty));
    }
}
