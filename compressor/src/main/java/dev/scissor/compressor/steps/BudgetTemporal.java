package dev.scissor.compressor.steps;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.internal.Exact;
import dev.scissor.compressor.internal.SingleLinkageCut;
import dev.scissor.compressor.internal.SpatialFrame;

/**
 * Budget mode's temporal step: the single-linkage cut of the window's spatial tokens to K components
 * (ALGORITHM.md decision 8; in refined mode to {@code max(1, K / 2)}). The cache holds the float32
 * similarities of every frame pair in both orientations, computed for all frames added since the
 * last update at once ({@code PairProducts}); the cut orders them as their float64 values (see
 * {@code SingleLinkageCut}), so a window equals the batch computation whatever the product shapes.
 */
public final class BudgetTemporal implements TemporalStep {

    private final FrameRing ring;
    private final ScissorParams params;
    private final boolean refined;
    private final int d;
    private final float margin;
    private final PairProducts products;
    // Slot f's spatial tokens (rows) against slot g's, row-major [count f, count g], for every pair.
    private final float[][] simBlocks;
    private final SingleLinkageCut cut = new SingleLinkageCut();
    private float[][] windowBlocks = new float[0][];
    private long nanos;

    /**
     * Creates the step of a window.
     *
     * @param ring the window's frames
     * @param params the budget (and tau, for {@link #linked})
     */
    public BudgetTemporal(final FrameRing ring, final ScissorParams params) {
        this.ring = ring;
        this.params = params;
        this.refined = params.mode() == ScissorParams.Mode.REFINED;
        this.d = ring.d;
        // Two similarities, each within the float32 bound of its exact value, are ordered when further apart.
        this.margin = 2 * Exact.cosineErrorBound(ring.d) * 1.01f; // |X_i| is known to float32 accuracy
        this.products = new PairProducts(ring);
        this.simBlocks = new float[ring.capacity * ring.capacity][];
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
    public void update() {
        final long started = System.nanoTime();
        if (products.update(this::store)) {
            nanos += System.nanoTime() - started;
        }
    }

    @Override
    public long nanos() {
        return nanos;
    }

    /** Compares the cached similarities with tau in float32 (a signal, not part of the output). */
    @Override
    public void linked(final int f, final int g, final boolean[] matched) {
        final SpatialFrame pf = ring.spatial[f];
        final SpatialFrame pg = ring.spatial[g];
        final int sf = pf.count;
        final int sg = pg.count;
        final float[] sims = simBlocks[f * ring.capacity + g];
        for (int i = 0; i < sf; i++) {
            for (int j = 0; j < sg && !matched[i]; j++) {
                matched[i] = pf.norms[i] != 0.0 && pg.norms[j] != 0.0 && sims[i * sg + j] > params.tau();
            }
        }
    }

    /** Stores frame f's similarities against frame g's (g not after f) in both orientations. */
    private void store(final int f, final int g, final float[] sims, final int at, final int ld) {
        final int sf = ring.spatial[f].count;
        final int sg = ring.spatial[g].count;
        final float[] fg = block(f * ring.capacity + g, sf * sg);
        if (f == g) {
            for (int i = 0; i < sf; i++) {
                for (int j = 0; j <= i; j++) {
                    final float v = sims[at + i * ld + j];
                    fg[i * sf + j] = v;
                    fg[j * sf + i] = v;
                }
            }
            return;
        }
        final float[] gf = block(g * ring.capacity + f, sf * sg);
        for (int i = 0; i < sf; i++) {
            System.arraycopy(sims, at + i * ld, fg, i * sg, sg);
            for (int j = 0; j < sg; j++) {
                gf[j * sf + i] = sims[at + i * ld + j];
            }
        }
    }

    private float[] block(final int index, final int size) {
        float[] b = simBlocks[index];
        if (b == null || b.length < size) {
            b = new float[Math.max(size, 1)];
            simBlocks[index] = b;
        }
        return b;
    }

    @Override
    public int components(final WindowLayout window, final int[] temporal) {
        final int budget = params.budget().tokensFor((long) window.frames * ring.n);
        final int k = refined ? Math.max(1, budget / 2) : budget;
        final int frames = window.frames;
        final int[] slotOf = window.slotOf;
        if (windowBlocks.length < frames * frames) {
            windowBlocks = new float[frames * frames][];
        }
        for (int a = 0; a < frames; a++) {
            for (int b = 0; b < frames; b++) {
                windowBlocks[a * frames + b] = simBlocks[slotOf[a] * ring.capacity + slotOf[b]];
            }
        }
        final int[] frameOf = window.frameOf;
        final int[] localOf = window.localOf;
        final SpatialFrame[] spatial = ring.spatial;
        return cut.cut(
                window.tokens,
                k,
                frames,
                window.offset,
                windowBlocks,
                margin,
                (u, v) -> {
                    final SpatialFrame pu = spatial[slotOf[frameOf[u]]];
                    final SpatialFrame pv = spatial[slotOf[frameOf[v]]];
                    final int lu = localOf[u];
                    final int lv = localOf[v];
                    return Exact.cosine(pu.tokens, lu * d, pu.norms[lu], pv.tokens, lv * d, pv.norms[lv], d);
                },
                temporal);
    }
}
