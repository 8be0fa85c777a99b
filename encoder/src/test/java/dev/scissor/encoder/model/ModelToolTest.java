package dev.scissor.encoder.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelToolTest {

    private static String run(final String... args) throws Exception {
        final ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bos, true, StandardCharsets.UTF_8)) {
            ModelTool.run(args, out);
        }
        return bos.toString(StandardCharsets.UTF_8);
    }

    @Test
    void inspectsAModelAndValidatesADescriptor(@TempDir final Path dir) throws Exception {
        Files.write(dir.resolve("m.onnx"), TinyModels.identity("pixel_values", 3, 4, 4, "feat", true));
        final String listing = run("inspect", dir.resolve("m.onnx").toString());
        assertTrue(listing.contains("input  pixel_values"), listing);
        assertTrue(listing.contains("output feat"), listing);
        Files.writeString(
                dir.resolve("d.properties"),
                "model=m.onnx\ninput.height=4\ninput.width=4\n"
                        + "output.name=feat\ngrid.height=4\ngrid.width=4\ntoken.dim=3\n");
        assertTrue(run("inspect", dir.resolve("d.properties").toString())
                .contains("descriptor 'encoder' matches the model"));
        Files.writeString(
                dir.resolve("bad.properties"),
                "model=m.onnx\ninput.height=4\n"
                        + "input.width=4\noutput.name=tokens\ngrid.height=4\ngrid.width=4\ntoken.dim=3\n");
        final ModelContractException e = assertThrows(
                ModelContractException.class,
                () -> run("inspect", dir.resolve("bad.properties").toString()));
        assertTrue(e.getMessage().contains("model has no output 'tokens'; outputs are [feat"), e.getMessage());
    }

    @Test
    void printsUsageAndRejectsUnknownCommands() throws Exception {
        assertTrue(run().startsWith("usage:"));
        assertEquals(2, ModelTool.run(new String[0], new PrintStream(new ByteArrayOutputStream())));
        assertThrows(IllegalArgumentException.class, () -> run("frobnicate"));
        assertThrows(IllegalArgumentException.class, () -> run("convert", "only-one-arg"));
    }
}
