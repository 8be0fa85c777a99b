package dev.scissor.compressor.bench;

import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The token video the benchmark runs on: [T, N, D] float32 frames and where they came from.
 *
 * @param tokens the frames, row-major
 * @param frames T
 * @param n N, tokens per frame
 * @param dim D
 * @param source where the tokens come from, for the report
 */
record BenchVideo(float[] tokens, int frames, int n, int dim, String source) {

    /** The default dump, relative to the repository root. */
    static final String DEFAULT = "compressor/data/vtest_mnv2_tokens.npz";

    /**
     * A user's dump ({@code .npy}, or an {@code .npz} holding one array; float16, float32 or any
     * numeric dtype), else the repository's real-token dump {@value #DEFAULT}: the first 40 frames of
     * vtest.avi at 2 fps through the default encoder (mnv2-nsfwjs), float16.
     *
     * @param file the dump, or {@code null} for the default
     * @return the video
     * @throws IOException when unreadable
     * @throws IllegalArgumentException when not [T, N, D] or the default is not found
     */
    static BenchVideo load(final String file) throws IOException {
        if (file != null) {
            return of(read(Path.of(file)), file);
        }
        final String root = System.getProperty("scissor.repo.root", ".");
        for (Path p = Path.of(root).toAbsolutePath(); p != null; p = p.getParent()) {
            final Path f = p.resolve(DEFAULT);
            if (Files.exists(f)) {
                return of(read(f), "vtest.avi, mnv2-nsfwjs tokens (" + DEFAULT + ")");
            }
        }
        throw new IllegalArgumentException(DEFAULT + " not found above " + root + "; pass --tokens V.npy");
    }

    private static NpyArray read(final Path f) throws IOException {
        if (!f.getFileName().toString().endsWith(".npz")) {
            return Npy.read(f);
        }
        final Map<String, NpyArray> z = Npy.readNpz(f);
        if (z.size() != 1) {
            throw new IllegalArgumentException(f + " must hold one array, holds " + z.keySet());
        }
        return z.values().iterator().next();
    }

    private static BenchVideo of(final NpyArray a, final String source) {
        final int[] s = a.shape();
        if (s.length != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1) {
            throw new IllegalArgumentException(source + " must be [T, N, D], got " + java.util.Arrays.toString(s));
        }
        return new BenchVideo(
                a.toFloats(),
                s[0],
                s[1],
                s[2],
                source
                        + (a.dtype() == NpyArray.Dtype.FLOAT32
                                ? ""
                                : ", " + a.dtype().descr()));
    }

    /**
     * The same frames in another dimension: every token times a fixed Gaussian matrix [D, dim]
     * (seeded, entries N(0, 1/D)), so cosines are preserved in expectation. Real tokens of that
     * dimension they are not; the report says so.
     *
     * @param toDim the new D
     * @return the projected video
     */
    BenchVideo project(final int toDim) {
        final SplittableRandom rnd = new SplittableRandom(0x5C155085L + toDim);
        final float[] p = new float[toDim * dim]; // row c = output dimension c
        final double scale = 1.0 / Math.sqrt(dim);
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (rnd.nextGaussian() * scale);
        }
        final int rows = frames * n;
        final float[] out = new float[rows * toDim];
        Gemm.abt(rows, toDim, dim, tokens, 0, dim, p, 0, dim, out, 0, toDim);
        return new BenchVideo(
                out,
                frames,
                n,
                toDim,
                source + ", projected " + dim + " -> " + toDim + " dims by a fixed random matrix (not real " + toDim
                        + "-dim tokens)");
    }

    /** Offset of frame {@code f} of the video cycled (frame f mod T). */
    int offset(final long f) {
        return (int) (f % frames) * n * dim;
    }

    /** Width of the frame's token grid: the largest divisor of N not above its square root. */
    int gridWidth() {
        int w = (int) Math.sqrt(n);
        while (n % w != 0) {
            w--;
        }
        return w;
    }
}
