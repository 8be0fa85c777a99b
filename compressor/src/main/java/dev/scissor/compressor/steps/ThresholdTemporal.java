package dev.scissor.compressor.steps;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.internal.Bits;
import dev.scissor.compressor.internal.Components;
import dev.scissor.compressor.internal.Exact;
import dev.scissor.compressor.internal.Sampling;
import dev.scissor.compressor.internal.SpatialFrame;
import java.util.Arrays;

/**
 * Threshold mode's temporal step: the SCC at tau over the window's spatial tokens. The cache holds the
 * certified edges ({@code cos > tau}, see {@code Exact}) of every frame pair as bit rows; components
 * are read from them with the window's sample.
 */
public final class ThresholdTemporal implements TemporalStep {

    private final FrameRing ring;
    private final ScissorParams params;
    private final SampleOrders orders;
    private final int d;
    private final float cosErr;
    private final long[][] edgeBlocks;
    private final PairProducts products;
    private final Components components = new Components();
    private long[] globalBits = new long[0];
    private int[] degree = new int[0];
    private long nanos;

    /**
     * Creates the step of a window.
     *
     * @param ring the window's frames
     * @param params tau and epsilon
     * @param orders sample orders of the epsilon approximation
     */
    public ThresholdTemporal(final FrameRing ring, final ScissorParams params, final SampleOrders orders) {
        this.ring = ring;
        this.params = params;
        this.orders = orders;
        this.d = ring.d;
        this.cosErr = Exact.cosineErrorBound(ring.d) * 1.01f; // |X_i| is known to float32 accuracy
        this.edgeBlocks = new long[ring.capacity * ring.capacity][];
        this.products = new PairProducts(ring);
    }

    @Override
    public void evicting() {
        products.evicting();
    }

    @Override
    public void added(final int slot) {
        products.added(slot);
    }

    @Override
    public long nanos() {
        return nanos;
    }

    @Override
    public void linked(final int f, final int g, final boolean[] matched) {
        final int sf = ring.spatial[f].count;
        final int sg = ring.spatial[g].count;
        final long[] edges = edgeBlocks[f * ring.capacity + g];
        final int wg = Bits.words(sg);
        for (int i = 0; i < sf; i++) {
            for (int w = 0; w < wg && !matched[i]; w++) {
                matched[i] = edges[i * wg + w] != 0L;
            }
        }
    }

    /**
     * The certified temporal edges of the frames added since the last call; edges are certified
     * decisions, so they do not depend on the shape of the products.
     */
    @Override
    public void update() {
        final long started = System.nanoTime();
        if (products.update(this::certify)) {
            nanos += System.nanoTime() - started;
        }
    }

    /**
     * Edges between frame f's and frame g's spatial tokens (g not after f) from their similarities
     * at {@code sims[at + i * ld + j]} (for f == g, the entries with j &lt;= i).
     */
    private void certify(final int f, final int g, final float[] sims, final int at, final int ld) {
        final SpatialFrame pf = ring.spatial[f];
        final SpatialFrame pg = ring.spatial[g];
        final int sf = pf.count;
        final int sg = pg.count;
        final int wg = Bits.words(sg);
        final int wf = Bits.words(sf);
        final long[] fg = edgeBlock(f * ring.capacity + g, sf * wg);
        final long[] gf = f == g ? fg : edgeBlock(g * ring.capacity + f, sg * wf);
        final double tau = params.tau();
        for (int i = 0; i < sf; i++) {
            if (pf.norms[i] == 0.0) {
                continue;
            }
            for (int j = 0; j < (f == g ? i + 1 : sg); j++) {
                if (pg.norms[j] == 0.0) {
                    continue;
                }
                final double v = sims[at + i * ld + j];
                final boolean edge;
                if (v - cosErr > tau) {
                    edge = true;
                } else if (v + cosErr <= tau) {
                    edge = false;
                } else {
                    edge = Exact.cosine(pf.tokens, i * d, pf.norms[i], pg.tokens, j * d, pg.norms[j], d) > tau;
                }
                if (edge) {
                    Bits.set(fg, i * wg, j);
                    Bits.set(gf, j * wf, i);
                }
            }
        }
    }

    private long[] edgeBlock(final int block, final int words) {
        long[] b = edgeBlocks[block];
        if (b == null || b.length < words) {
            b = new long[Math.max(words, 1)];
            edgeBlocks[block] = b;
        } else {
            Arrays.fill(b, 0, words, 0L);
        }
        return b;
    }

    /** Connected components of the window's edges (the cached frame-pair blocks as one graph). */
    @Override
    public int components(final WindowLayout window, final int[] temporal) {
        final int frames = window.frames;
        final int[] slotOf = window.slotOf;
        final int[] offset = window.offset;
        final int s = window.tokens;
        final int words = Bits.words(s);
        if (globalBits.length < (long) s * words) {
            globalBits = new long[WorkArrays.length((long) s * words)];
        } else {
            Arrays.fill(globalBits, 0, s * words, 0L);
        }
        for (int a = 0; a < frames; a++) {
            final int sa = ring.spatial[slotOf[a]].count;
            for (int b = 0; b < frames; b++) {
                final int sb = ring.spatial[slotOf[b]].count;
                final long[] block = edgeBlocks[slotOf[a] * ring.capacity + slotOf[b]];
                final int wb = Bits.words(sb);
                for (int la = 0; la < sa; la++) {
                    final int row = (offset[a] + la) * words;
                    for (int w = 0; w < wb; w++) {
                        long bitsWord = block[la * wb + w];
                        while (bitsWord != 0) {
                            final int lb = (w << 6) + Long.numberOfTrailingZeros(bitsWord);
                            Bits.set(globalBits, row, offset[b] + lb);
                            bitsWord &= bitsWord - 1;
                        }
                    }
                }
            }
        }
        if (degree.length < s) {
            degree = new int[s];
        }
        final int[] sampled = Sampling.sample(params, orders, SampleOrders.Stage.TEMPORAL, -1L, s);
        return components.label(globalBits, s, words, sampled, degree, temporal);
    }
}
