package dev.scissor.compressor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.io.Float16Files;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressorBenchTest {

    private static final Pattern STAGE = Pattern.compile("\\{\"name\": \"([a-z_]+)\", \"shape\": \"([^\"]*)\", "
            + "\"median_ms\": ([0-9.eE+-]+), \"flops\": ([0-9.eE+-]+), \"floor_ms\": ([0-9.eE+-]+), "
            + "\"ratio\": ([0-9.eE+-]+)");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        return CompressorBench.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** [6, 16, 24] float16 tokens: three blobs of similar tokens per frame, drifting between frames. */
    private Path float16Tokens() throws IOException {
        final SplittableRandom rnd = new SplittableRandom(7);
        final int frames = 6;
        final int n = 16;
        final int d = 24;
        final float[][] centers = new float[3][d];
        for (final float[] c : centers) {
            for (int i = 0; i < d; i++) {
                c[i] = (float) rnd.nextGaussian();
            }
        }
        final short[] h = new short[frames * n * d];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < d; k++) {
                    final float v = centers[i % 3][k] + 0.05f * t + (float) (0.1 * rnd.nextGaussian());
                    h[(t * n + i) * d + k] = toHalf(v);
                }
            }
        }
        final Path f = dir.resolve("tokens.npy");
        Float16Files.writeHalves(f, h, frames, n, d);
        return f;
    }

    /** Nearest-ish half of a small float (truncation; exactness is not the point here). */
    private static short toHalf(final float v) {
        final int b = Float.floatToIntBits(v);
        final int sign = (b >>> 16) & 0x8000;
        final int exp = ((b >>> 23) & 0xFF) - 127 + 15;
        if (exp <= 0) {
            return (short) sign;
        }
        return (short) (sign | (Math.min(exp, 30) << 10) | ((b >>> 13) & 0x3FF));
    }

    private List<Matcher> stagesOf(final Path json) throws IOException {
        final String text = Files.readString(json);
        assertTrue(text.matches("(?s)\\{\"sgemm_gflops\": [0-9.]+, .*\"stages\": \\[.*\\]\\}\\s*"), text);
        final Matcher g = Pattern.compile("\"sgemm_gflops\": ([0-9.]+)").matcher(text);
        assertTrue(g.find());
        assertTrue(Double.parseDouble(g.group(1)) > 0.01, text);
        final List<Matcher> stages = new ArrayList<>();
        final Matcher m = STAGE.matcher(text);
        while (m.find()) {
            final Matcher one = STAGE.matcher(m.group());
            assertTrue(one.find());
            stages.add(one);
        }
        return stages;
    }

    private void checkStages(final Path json, final String expectedShapePrefix) throws IOException {
        final List<Matcher> stages = stagesOf(json);
        assertEquals(
                List.of("whole_window", "incremental_hop", "full_recompute"),
                stages.stream().map(s -> s.group(1)).toList());
        for (final Matcher s : stages) {
            final double median = Double.parseDouble(s.group(3));
            final double flops = Double.parseDouble(s.group(4));
            final double floor = Double.parseDouble(s.group(5));
            final double ratio = Double.parseDouble(s.group(6));
            assertTrue(s.group(2).startsWith(expectedShapePrefix), s.group(2));
            assertTrue(median > 0 && median < 10_000, s.group());
            assertTrue(flops > 0 && floor > 0, s.group());
            assertEquals(median / floor, ratio, 1e-9 * ratio, s.group());
        }
        final double whole = Double.parseDouble(stages.get(0).group(4));
        final double hop = Double.parseDouble(stages.get(1).group(4));
        assertTrue(hop < whole, "a hop's floor is below a whole window's");
    }

    @Test
    void float16DumpThresholdMode() throws IOException {
        final Path json = dir.resolve("out.json");
        assertEquals(
                0,
                run(
                        "--tokens",
                        float16Tokens().toString(),
                        "--frames",
                        "4",
                        "--quick",
                        "--sgemm",
                        "64",
                        "--json",
                        json.toString()),
                err.toString());
        checkStages(json, "T=4 N=16 D=24");
        final String report = out.toString();
        assertTrue(report.contains("| whole_window | T=4 N=16 D=24"), report);
        assertTrue(report.contains("<f2"), "the report names the dump's dtype: " + report);
        assertTrue(report.contains("sgemm 64x64x64"), report);
    }

    @Test
    void budgetAndRefinedModes() throws IOException {
        final Path tokens = float16Tokens();
        for (final String mode : new String[] {"classic", "refined"}) {
            final Path json = dir.resolve(mode + ".json");
            assertEquals(
                    0,
                    run(
                            "--tokens",
                            tokens.toString(),
                            "--frames",
                            "4",
                            "--budget",
                            "5",
                            "--mode",
                            mode,
                            "--repeats",
                            "3",
                            "--sgemm",
                            "64",
                            "--json",
                            json.toString()),
                    err.toString());
            checkStages(json, "T=4 N=16 D=24");
            assertTrue(Files.readString(json).contains("M=5\""), Files.readString(json));
        }
    }

    @Test
    void projectedTokensSayWhatTheyAre() throws IOException {
        assertEquals(
                0,
                run(
                        "--tokens",
                        float16Tokens().toString(),
                        "--frames",
                        "3",
                        "--project",
                        "40",
                        "--repeats",
                        "1",
                        "--sgemm",
                        "32"),
                err.toString());
        assertTrue(out.toString().contains("projected 24 -> 40 dims by a fixed random matrix"), out.toString());
        assertTrue(out.toString().contains("| whole_window | T=3 N=16 D=40"), out.toString());
    }

    @Test
    void badArgumentsExit2() {
        assertEquals(2, run("--mode", "refined"), "refined needs a budget");
        assertEquals(2, run("--frames", "0"));
        assertEquals(2, run("--tokens", dir.resolve("missing.npy").toString()));
        assertTrue(err.toString().contains("(see 'scissor bench --help')"), err.toString());
    }

    @Test
    void defaultDumpIsRealTokens() throws IOException {
        final BenchVideo v = BenchVideo.load(null);
        assertEquals(196, v.n());
        assertEquals(816, v.dim());
        assertTrue(v.frames() >= 32, "a W=32 window of real frames");
        assertTrue(v.source().contains("vtest.avi"), v.source());
        assertEquals(14, v.gridWidth());
    }
}
