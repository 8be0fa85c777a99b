package dev.scissor.compressor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        return CompressCommand.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void compressesTheRealisticGoldenVideo() throws IOException {
        final Path golden = dev.scissor.compressor.GoldenFilesAccess.dir();
        final Map<String, NpyArray> in = Npy.readNpz(golden.resolve("realistic_v1_input.npz"));
        final float[] q = in.get("input_q").toFloats();
        final float scale = (float) in.get("input_scale").scalar();
        for (int i = 0; i < q.length; i++) {
            q[i] *= scale;
        }
        final Path tokens = dir.resolve("in.npy");
        Npy.writeFloats(tokens, q, 16, 196, 816);
        final Path outFile = dir.resolve("out.npy");
        final Path labels = dir.resolve("labels.npy");
        final Path stats = dir.resolve("stats.json");
        assertEquals(
                0,
                run(
                        "--tokens",
                        tokens.toString(),
                        "--out",
                        outFile.toString(),
                        "--tau",
                        "0.9053",
                        "--labels",
                        labels.toString(),
                        "--stats",
                        stats.toString()),
                err::toString);
        final Map<String, NpyArray> expected = Npy.readNpz(golden.resolve("realistic_v1_ret10.npz"));
        final NpyArray got = Npy.read(outFile);
        assertArrayEquals(expected.get("out_tokens").shape(), got.shape());
        final float[] e = expected.get("out_tokens").toFloats();
        final float[] g = got.toFloats();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], g[i], 1e-4f * 8);
        }
        assertArrayEquals(
                expected.get("spatial_labels").toInts(), Npy.read(labels).toInts());
        assertArrayEquals(new int[] {16, 196}, Npy.read(labels).shape());
        final String json = Files.readString(stats);
        assertTrue(json.contains("\"tokens_in\": 3136"), json);
        assertTrue(json.contains("\"tokens_out\": 314"), json);
        assertTrue(json.contains("\"budget\": null"), json);
        assertTrue(json.contains("\"spatial_tokens_per_frame\": ["), json);
        assertTrue(out.toString().contains("3136 tokens -> 314 tokens"));
    }

    @Test
    void budgetGivesExactlyKTokensAndOneFrameRunsSpatialOnly() throws IOException {
        final float[] video = new float[4 * 9 * 3];
        for (int i = 0; i < video.length; i++) {
            video[i] = (float) Math.sin(i * 0.37);
        }
        final Path tokens = dir.resolve("v.npy");
        Npy.writeFloats(tokens, video, 4, 9, 3);
        final Path o = dir.resolve("o.npy");
        assertEquals(0, run("--tokens", tokens.toString(), "--out", o.toString(), "--budget", "5"), err::toString);
        assertArrayEquals(new int[] {5, 3}, Npy.read(o).shape());
        final Path frame = dir.resolve("f.npy");
        Npy.writeFloats(frame, java.util.Arrays.copyOf(video, 27), 9, 3);
        final Path labels = dir.resolve("l.npy");
        assertEquals(0, run("--tokens", frame.toString(), "--out", o.toString(), "--labels", labels.toString()));
        assertArrayEquals(new int[] {9}, Npy.read(labels).shape());
    }

    @Test
    void badInputsExitTwoWithOneLineAndNoOutput() throws IOException {
        final Path o = dir.resolve("never.npy");
        final Path nan = dir.resolve("nan.npy");
        Npy.writeFloats(nan, new float[] {1, Float.NaN, 0, 1}, 2, 2);
        final Path rank1 = dir.resolve("r1.npy");
        Npy.writeFloats(rank1, new float[] {1, 2, 3}, 3);
        final Path empty = dir.resolve("empty.npy");
        Npy.writeFloats(empty, new float[0], 0, 4);
        final Path ints = dir.resolve("ints.npy");
        Npy.writeInts(ints, new int[] {1, 2, 3, 4}, 2, 2);
        final Path garbage = dir.resolve("garbage.npy");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 5});
        final Path truncated = dir.resolve("trunc.npy");
        Npy.writeFloats(truncated, new float[64], 4, 16);
        final byte[] full = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(full, full.length - 10));
        final Path good = dir.resolve("good.npy");
        Npy.writeFloats(good, new float[] {1, 0, 0, 1}, 2, 2);

        final String[][] cases = {
            {"--tokens", nan.toString(), "--out", o.toString()},
            {"--tokens", rank1.toString(), "--out", o.toString()},
            {"--tokens", empty.toString(), "--out", o.toString()},
            {"--tokens", ints.toString(), "--out", o.toString()},
            {"--tokens", garbage.toString(), "--out", o.toString()},
            {"--tokens", truncated.toString(), "--out", o.toString()},
            {"--tokens", dir.resolve("missing.npy").toString(), "--out", o.toString()},
            {"--tokens", good.toString(), "--out", o.toString(), "--tau", "1.5"},
            {"--tokens", good.toString(), "--out", o.toString(), "--tau", "abc"},
            {"--tokens", good.toString(), "--out", o.toString(), "--epsilon", "-1"},
            {
                "--tokens",
                good.toString(),
                "--out",
                dir.resolve("no/such/dir/o.npy").toString()
            },
            {"--tokens", good.toString()},
            {"--tokens", good.toString(), "--out", o.toString(), "--bogus"},
        };
        for (final String[] c : cases) {
            err.reset();
            assertEquals(CompressCommand.BAD_INPUT, run(c), () -> String.join(" ", c));
            final String msg = err.toString(StandardCharsets.UTF_8).trim();
            assertFalse(msg.isEmpty());
            assertEquals(1, msg.lines().count(), msg);
            assertFalse(Files.exists(o), "no output for " + String.join(" ", c));
        }
        assertEquals(0, run("--tokens", good.toString(), "--out", o.toString(), "--tau", "1.5", "--allow-any-tau"));
        assertArrayEquals(new int[] {2, 2}, Npy.read(o).shape());
    }

    @Test
    void refinedModeGivesExactlyKTokensAndNeedsABudget() throws IOException {
        final float[] video = new float[4 * 9 * 3];
        for (int i = 0; i < video.length; i++) {
            video[i] = (float) Math.sin(i * 0.37);
        }
        final Path tokens = dir.resolve("v.npy");
        Npy.writeFloats(tokens, video, 4, 9, 3);
        final Path o = dir.resolve("o.npy");
        final Path stats = dir.resolve("s.json");
        assertEquals(
                0,
                run(
                        "--tokens",
                        tokens.toString(),
                        "--out",
                        o.toString(),
                        "--retention",
                        "0.2",
                        "--mode",
                        "refined",
                        "--stats",
                        stats.toString()),
                err::toString);
        assertArrayEquals(new int[] {7, 3}, Npy.read(o).shape()); // round(0.2 * 36)
        assertTrue(Files.readString(stats).contains("\"mode\": \"refined\""));
        assertEquals(
                0,
                run("--tokens", tokens.toString(), "--out", o.toString(), "--budget", "5", "--mode", "classic"),
                err::toString);
        assertArrayEquals(new int[] {5, 3}, Npy.read(o).shape());
        final Path never = dir.resolve("never.npy");
        for (final String[] c : new String[][] {
            {"--tokens", tokens.toString(), "--out", never.toString(), "--mode", "refined"},
            {"--tokens", tokens.toString(), "--out", never.toString(), "--budget", "5", "--mode", "fancy"},
            {"--tokens", tokens.toString(), "--out", never.toString(), "--budget", "5", "--mode"},
        }) {
            err.reset();
            assertEquals(CompressCommand.BAD_INPUT, run(c), () -> String.join(" ", c));
            assertEquals(1, err.toString(StandardCharsets.UTF_8).trim().lines().count());
            assertFalse(Files.exists(never));
        }
    }
}
