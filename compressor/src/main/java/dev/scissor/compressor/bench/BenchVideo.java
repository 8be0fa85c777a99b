package dev.scissor.compressor.bench;

import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/** The token video the window benchmarks run on. */
record BenchVideo(float[] tokens, String source) {

    private static final int N = 196;
    private static final int GRID = 14;

    /**
     * A user's dump, else the realistic golden input (16 frames, followed by the same frames mirrored
     * left-right in reverse order, a 32-frame cycle with real-footage statistics), else synthetic.
     */
    static BenchVideo load(final String file, final int dim) throws IOException {
        if (file != null) {
            final NpyArray a = Npy.read(Paths.get(file));
            final int[] s = a.shape();
            if (s.length != 3 || s[1] != N || s[2] != dim) {
                throw new IllegalArgumentException(file + " must be [T, " + N + ", " + dim + "]");
            }
            return new BenchVideo(a.toFloats(), file);
        }
        final String root = System.getProperty("scissor.repo.root", ".");
        for (Path p = Paths.get(root).toAbsolutePath(); p != null; p = p.getParent()) {
            final Path g = p.resolve("../shared/golden/realistic_v1_input.npz").normalize();
            if (Files.exists(g)) {
                final Map<String, NpyArray> z = Npy.readNpz(g);
                final float[] q = z.get("input_q").toFloats();
                final float scale = (float) z.get("input_scale").scalar();
                final int frames = z.get("input_q").shape()[0];
                final float[] out = new float[2 * q.length];
                for (int i = 0; i < q.length; i++) {
                    out[i] = q[i] * scale;
                }
                for (int t = 0; t < frames; t++) {
                    final int src = frames - 1 - t;
                    for (int r = 0; r < GRID; r++) {
                        for (int c = 0; c < GRID; c++) {
                            final int from = ((src * GRID + r) * GRID + c) * dim;
                            final int to = (((frames + t) * GRID + r) * GRID + (GRID - 1 - c)) * dim;
                            System.arraycopy(out, from, out, to, dim);
                        }
                    }
                }
                return new BenchVideo(out, "the realistic golden video (" + g.getFileName() + ", + mirrored)");
            }
        }
        return new BenchVideo(SyntheticVideo.generate(7, 32, GRID, dim, 9, 0.8), "a synthetic video");
    }
}
