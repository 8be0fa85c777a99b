package dev.scissor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import dev.scissor.encoder.testing.ExporterPython;
import dev.scissor.encoder.testing.TestAssets;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scissor encode}, the contract outside checks use: {@code --model DIR|NAME (--images ... |
 * --video FILE [--fps]) --out TOKENS.npy} writes float32 {@code [F, N, D]} in the order given, with
 * the checkpoint's own preprocessing; bad input is one line and exit code 2, with no output.
 */
class EncodeCommandIT {

    private record Result(int code, String out, String err) {}

    private static Result run(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** PNG copies of real photos (lossless, so Java and PIL see the same pixels), one at 384x384. */
    private static List<Path> pngs(final Path dir) throws Exception {
        final Path photos = TestAssets.darknetImages();
        final List<Path> jpgs;
        try (Stream<Path> s = Files.list(photos)) {
            jpgs = s.filter(p -> p.toString().endsWith(".jpg"))
                    .sorted()
                    .limit(2)
                    .toList();
        }
        final List<Path> out = new ArrayList<>();
        for (final Path j : jpgs) {
            final BufferedImage img = ImageIO.read(j.toFile());
            final Path p = dir.resolve(j.getFileName().toString().replace(".jpg", ".png"));
            ImageIO.write(img, "png", p.toFile());
            out.add(p);
        }
        final BufferedImage first = ImageIO.read(jpgs.get(0).toFile());
        final BufferedImage square = new BufferedImage(384, 384, BufferedImage.TYPE_3BYTE_BGR);
        square.getGraphics()
                .drawImage(
                        first.getSubimage(0, 0, Math.min(384, first.getWidth()), Math.min(384, first.getHeight())),
                        0,
                        0,
                        null);
        final Path sq = dir.resolve("square-384.png");
        ImageIO.write(square, "png", sq.toFile());
        out.add(sq);
        return out;
    }

    @Test
    void imagesThroughTheDefaultEncoderGiveOneRowPerImageInOrder(@TempDir final Path dir) throws Exception {
        final List<Path> images = pngs(dir);
        final Path outFile = dir.resolve("t.npy");
        final List<String> args = new ArrayList<>(List.of("encode", "--model", "mnv2-nsfwjs", "--images"));
        images.forEach(p -> args.add(p.toString()));
        args.addAll(List.of("--out", outFile.toString()));
        TestAssets.assumeNpm();
        final Result r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        final NpyArray a = Npy.read(outFile);
        assertEquals(List.of(3, 196, 816), List.of(a.shape()[0], a.shape()[1], a.shape()[2]));
        final Path reversed = dir.resolve("r.npy");
        assertEquals(
                0,
                run(
                                "encode",
                                "--model",
                                "mnv2-nsfwjs",
                                "--images",
                                images.get(2).toString(),
                                images.get(1).toString(),
                                images.get(0).toString(),
                                "--out",
                                reversed.toString())
                        .code());
        final float[] fwd = a.toFloats();
        final float[] rev = Npy.read(reversed).toFloats();
        final int frame = 196 * 816;
        for (int f = 0; f < 3; f++) {
            for (int i = 0; i < frame; i++) {
                assertEquals(fwd[f * frame + i], rev[(2 - f) * frame + i], "frame " + f + " value " + i);
            }
        }
    }

    @Test
    void badInputIsOneLineAndExitCode2WithNoOutput(@TempDir final Path dir) throws Exception {
        final Path outFile = dir.resolve("t.npy");
        final Path garbage = Files.write(dir.resolve("garbage.png"), "not an image".getBytes(StandardCharsets.UTF_8));
        final String[][] cases = {
            {
                "encode",
                "--model",
                "mnv2-nsfwjs",
                "--images",
                dir.resolve("missing.png").toString(),
                "--out",
                outFile.toString()
            },
            {"encode", "--model", "mnv2-nsfwjs", "--images", garbage.toString(), "--out", outFile.toString()},
            {"encode", "--model", "no-such-encoder", "--images", garbage.toString(), "--out", outFile.toString()},
            {
                "encode",
                "--model",
                "mnv2-nsfwjs",
                "--images",
                garbage.toString(),
                "--video",
                garbage.toString(),
                "--out",
                outFile.toString()
            },
            {"encode", "--model", "mnv2-nsfwjs", "--images", garbage.toString()},
            {
                "encode",
                "--model",
                "mnv2-nsfwjs",
                "--video",
                garbage.toString(),
                "--fps",
                "-1",
                "--out",
                outFile.toString()
            },
        };
        for (final String[] c : cases) {
            final Result r = run(c);
            assertEquals(2, r.code(), String.join(" ", c) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertFalse(Files.exists(outFile), "no output for " + String.join(" ", c));
        }
    }

    @Test
    void anExportedTowerMatchesTransformersOnTheSameImages(@TempDir final Path dir) throws Exception {
        final ExporterPython py = ExporterPython.require();
        final List<Path> images = pngs(dir);
        py.runOk(
                300,
                "scissor_export.make_tiny_checkpoint",
                "--out",
                dir.resolve("ckpt").toString(),
                "--variant",
                "tiny-384");
        final Path ckpt = dir.resolve("ckpt/tiny-384");
        final Path tower = dir.resolve("tower");
        py.runOk(300, "scissor_export", "--from", ckpt.toString(), "--out", tower.toString());
        final Path outFile = dir.resolve("t.npy");
        final List<String> args = new ArrayList<>(List.of("encode", "--model", tower.toString(), "--images"));
        images.forEach(p -> args.add(p.toString()));
        args.addAll(List.of("--out", outFile.toString()));
        final Result r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 frames x 196 tokens x 64 dims"), r.out());

        final Path ref = dir.resolve("ref.npy");
        final List<String> refArgs =
                new ArrayList<>(List.of("--checkpoint", ckpt.toString(), "--out-features", ref.toString()));
        images.forEach(p -> refArgs.add(p.toString()));
        py.runOk(300, "scissor_export.reference_features", refArgs.toArray(String[]::new));
        final NpyArray got = Npy.read(outFile);
        final NpyArray want = Npy.read(ref);
        assertEquals(List.of(3, 196, 64), List.of(want.shape()[0], want.shape()[1], want.shape()[2]));
        final float[] g = got.toFloats();
        final float[] w = want.toFloats();
        assertEquals(w.length, g.length);
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < w.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(g[i] - w[i]));
            maxRef = Math.max(maxRef, Math.abs(w[i]));
        }
        System.out.printf(
                "EncodeCommandIT: exported tower vs transformers, max |diff| / max |ref| = %.2e%n", maxDiff / maxRef);
        assertTrue(maxDiff <= 1e-3 * maxRef, "max relative error " + maxDiff / maxRef);
    }
}
