package dev.scissor.compressor.eval;

import dev.scissor.compressor.Scissor;

/**
 * Uniform spatial pooling per frame (PEERS.md U1, VTC-Bench's "down-sampling"): each frame's h x w
 * token grid is average-pooled to a gh x gw grid with about K / T cells.
 *
 * <p>Approximation: adaptive pooling (cell i covers rows floor(i*h/gh) .. floor((i+1)*h/gh) - 1, the
 * same for columns), so any K is reachable, where U1 uses fixed s x s windows. gh = round(sqrt(K/T))
 * (at most h) and gw = floor((K/T) / gh) (at most w), so the count T * gh * gw may fall a little short
 * of K (e.g. 9 of 10 per frame). A frame whose N is not a square is treated as one row of N.
 */
public final class UniformPooling implements Method {

    @Override
    public String name() {
        return "pool";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int w = Scissor.gridWidth(tokens);
        final int h = tokens / w;
        final int perFrame = Math.max(1, (int) Math.round((double) target / frames));
        final int gh = Math.max(1, Math.min(h, (int) Math.round(Math.sqrt(perFrame))));
        final int gw = Math.max(1, Math.min(w, perFrame / gh));
        final int cells = gh * gw;
        final int count = frames * cells;
        final float[] out = new float[count * dim];
        final int[] assignment = new int[frames * tokens];
        final int[] sizes = new int[count];
        for (int t = 0; t < frames; t++) {
            for (int r = 0; r < h; r++) {
                final int cr = cellOf(r, h, gh);
                for (int c = 0; c < w; c++) {
                    final int cell = t * cells + cr * gw + cellOf(c, w, gw);
                    final int src = t * tokens + r * w + c;
                    assignment[src] = cell;
                    sizes[cell]++;
                    final int so = src * dim;
                    final int co = cell * dim;
                    for (int l = 0; l < dim; l++) {
                        out[co + l] += video[so + l];
                    }
                }
            }
        }
        for (int k = 0; k < count; k++) {
            final float inv = 1.0f / sizes[k];
            for (int l = 0; l < dim; l++) {
                out[k * dim + l] *= inv;
            }
        }
        return new Reduction(count, out, assignment, gh + "x" + gw + " per frame");
    }

    /** The cell of position p of n when n positions are cut into g cells at floor(i * n / g). */
    static int cellOf(final int p, final int n, final int g) {
        // cell i covers [floor(i*n/g), floor((i+1)*n/g)); the largest i with floor(i*n/g) <= p
        int i = (int) ((long) (p + 1) * g / n);
        while (i > 0 && (long) i * n / g > p) {
            i--;
        }
        return Math.min(i, g - 1);
    }
}
