package dev.scissor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    @Test
    void writesTableCsvAndChart(@TempDir final Path dir) throws Exception {
        // 8 frames of 16 tokens of width 6 -> 2 windows of 4 frames
        final float[] v = new float[8 * 16 * 6];
        final SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        final Path npy = dir.resolve("t.npy");
        Npy.writeFloats(npy, v, 8, 16, 6);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int rc = EvalCommand.run(
                new String[] {
                    "--tokens",
                    npy.toString(),
                    "--window",
                    "4",
                    "--retention",
                    "0.1,0.5",
                    "--methods",
                    "scissor-budget,pool,random,tome",
                    "--out",
                    dir.resolve("o").toString()
                },
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("2 windows of 4 frames"));
        final List<String> csv = Files.readAllLines(dir.resolve("o/eval.csv"));
        assertEquals(1 + 4 * 2, csv.size());
        assertTrue(csv.get(0).startsWith("method,kind,retention,K,"));
        assertEquals(1100, ImageIO.read(dir.resolve("o/eval.png").toFile()).getWidth());
    }

    @Test
    void rejectsBadOptions() {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        final PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, EvalCommand.run(new String[] {"--tokens", "x.npy", "--methods", "nope"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown method 'nope'"));
        assertEquals(2, EvalCommand.run(new String[] {"--tokens", "x.npy", "--retention", "0"}, o, e));
        assertEquals(2, EvalCommand.run(new String[] {}, o, e));
        assertEquals(2, EvalCommand.run(new String[] {"--tokens", "x.npy", "--task", "find"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--task find needs --video"));
        assertEquals(2, EvalCommand.run(new String[] {"--tokens", "x.npy", "--task", "qa"}, o, e));
    }
}
