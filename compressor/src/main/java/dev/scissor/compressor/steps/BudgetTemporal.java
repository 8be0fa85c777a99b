package dev.scissor.compressor.steps;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.SingleLinkageCut;
import dev.scissor.compressor.internal.SpatialFrame;

/**
 * Budget mode's temporal step: the single-linkage cut of the window's spatial tokens to K components
 * (ALGORITHM.md decision 8; in refined mode to {@code max(1, K / 2)}). The cache holds the float32
 * similarities of every frame pair, computed when the newer frame is added; each product has the
 * shape of its frame pair, so a window equals the batch computation on one BLAS.
 */
public final class BudgetTemporal implements TemporalStep {

    private final FrameRing ring;
    private final ScissorParams params;
    private final boolean refined;
    private final float[][] simBlocks;
    private final SingleLinkageCut cut = new SingleLinkageCut();
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
        this.simBlocks = new float[ring.capacity * ring.capacity][];
    }

    @Override
    public void evicting() {
    }

    @Override
    public void added(final int slot) {
        final long started = System.nanoTime();
        for (int t = 0; t < ring.count; t++) {
            similarities(slot, ring.slot(t));
        }
        nanos += System.nanoTime() - started;
    }

    @Override
    public void update() {
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

    /** Similarities of frame f's spatial tokens (the newest) against frame g's. */
    private void similarities(final int f, final int g) {
        final int sf = ring.spatial[f].count;
        final int sg = ring.spatial[g].count;
        final int block = f * ring.capacity + g;
        float[] s = simBlocks[block];
        if (s == null || s.length < sf * sg) {
            s = new float[Math.max(sf * sg, 1)];
            simBlocks[block] = s;
        }
        Gemm.abt(sf, sg, ring.d, ring.spatial[f].normalized, 0, ring.d, ring.spatial[g].normalized, 0, ring.d, s, 0,
                sg);
    }

    @Override
    public int components(final WindowLayout window, final int[] temporal) {
        final int budget = params.budget().tokensFor((long) window.frames * ring.n);
        final int k = refined ? Math.max(1, budget / 2) : budget;
        final int[] slotOf = window.slotOf;
        final int[] frameOf = window.frameOf;
        final int[] localOf = window.localOf;
        final SpatialFrame[] spatial = ring.spatial;
        final int capacity = ring.capacity;
        return cut.cut(window.tokens, k, (u, v) -> {
            final int a = frameOf[u];
            final int b = frameOf[v];
            final int la = localOf[u];
            final int lb = localOf[v];
            if (a == b) {
                final int sa = spatial[slotOf[a]].count;
                return simBlocks[slotOf[a] * capacity + slotOf[a]][Math.min(la, lb) * sa + Math.max(la, lb)];
            }
            if (a > b) {
                return simBlocks[slotOf[a] * capacity + slotOf[b]][la * spatial[slotOf[b]].count + lb];
            }
            return simBlocks[slotOf[b] * capacity + slotOf[a]][lb * spatial[slotOf[a]].count + la];
        }, temporal);
    }
}
