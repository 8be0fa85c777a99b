package dev.scissor.compressor;

import dev.scissor.compressor.internal.SpatialFrame;
import dev.scissor.compressor.internal.SpatialScc;
import dev.scissor.compressor.steps.BudgetTemporal;
import dev.scissor.compressor.steps.FrameRing;
import dev.scissor.compressor.steps.MergeColumns;
import dev.scissor.compressor.steps.MergeOutput;
import dev.scissor.compressor.steps.RefinedOutput;
import dev.scissor.compressor.steps.TemporalStep;
import dev.scissor.compressor.steps.ThresholdTemporal;
import dev.scissor.compressor.steps.WindowLayout;

/**
 * An incremental LLaVA-Scissor window over a stream of frames: holds the last W frames, accepts
 * frames one at a time, evicts expired ones and emits a compressed window every H frames.
 *
 * <p>Nothing the window already knows is recomputed. A new frame costs its own spatial SCC, the
 * similarities of its spatial tokens against the window's spatial tokens (cached per frame pair:
 * threshold edges in classic mode, computed for all new frames at once when needed; values in budget
 * mode), and, when a window is emitted, the merge-step similarities of the new frames' tokens plus
 * those of components whose member set changed (cached per component with its retained token), and
 * the merge sums of frames whose tokens are not grouped as at the previous emit. Components are read
 * from the cached edges.
 *
 * <p>Output equals a fresh window fed the same frames with the same sequence numbers (the batch
 * computation; {@link Scissor#compress} is one with frames numbered 0..T-1 — the seeded sampler keys
 * each frame's sample on its sequence number, so with sampling active other numbers give other
 * samples). Threshold and argmax decisions are certified against float64 (see {@code Exact}), and
 * budget mode's single-linkage cut orders similarities as their float64 values (float32 order where
 * two values lie further apart than the proven error bound), so no decision depends on the shape of
 * the BLAS calls that produced the float32 values, and the window equals the batch whatever the
 * shapes of its products. Every value is computed from the same inputs in the same order.
 *
 * <p>In {@link ScissorParams.Mode#REFINED} mode the window runs the classic budget mode to
 * {@code max(1, K / 2)} components as above, then regroups the window's T * N tokens with a
 * {@code Refinement} that is a deterministic function of the window's tokens and those components
 * only (no state carried between emits); so the refined output equals the batch computation by
 * construction (on one BLAS: the refinement's float32 products have a fixed shape, but native and
 * pure-Java BLAS may differ).
 *
 * <p>The window only coordinates: the steps and their caches live in {@code dev.scissor.compressor.steps}.
 * {@link #add} runs the spatial step on the new frame ({@code SpatialScc}), keeps the result in the
 * frame ring ({@code FrameRing}) and hands the frame to the temporal step's pair cache
 * ({@code ThresholdTemporal} or {@code BudgetTemporal}); {@link #emit} runs temporal, then merge
 * ({@code MergeColumns}, {@code MergeOutput}), then in refined mode {@code RefinedOutput}.
 *
 * <p>Not thread-safe; one window per stream. Frames must be finite and arrive with increasing
 * sequence numbers.
 */
public final class SlidingWindow {

    private static final int MAX_TOKENS_PER_FRAME = 46340; // the spatial step's N x N similarities fit one array

    private final ScissorParams params;
    private final SampleOrders orders;
    private final int n;
    private final int d;
    private final int hop;
    private final FrameRing ring;
    private final SpatialScc spatialStep = new SpatialScc();
    private final TemporalStep temporalStep;
    private final MergeColumns mergeColumns;
    private final MergeOutput mergeOutput;
    private final RefinedOutput refinedOutput; // null unless refined mode
    private int sinceEmit;
    private boolean emitted;
    private long spatialNanos;

    /**
     * Creates a window.
     *
     * @param params compression parameters
     * @param orders sample orders of the epsilon approximation
     * @param tokensPerFrame N, tokens per frame
     * @param dim D, token dimension
     * @param gridWidth width of the frame's token grid (N = height * width), for token positions
     * @param windowFrames W, frames per window
     * @param hop H, frames between emitted windows (the first window is emitted when W frames are in)
     */
    public SlidingWindow(
            final ScissorParams params,
            final SampleOrders orders,
            final int tokensPerFrame,
            final int dim,
            final int gridWidth,
            final int windowFrames,
            final int hop) {
        if (params == null || orders == null) {
            throw new IllegalArgumentException("params and orders are required");
        }
        if (tokensPerFrame < 1 || dim < 1) {
            throw new IllegalArgumentException(
                    "tokens per frame and dim must be positive, got N=" + tokensPerFrame + " D=" + dim);
        }
        if (tokensPerFrame > MAX_TOKENS_PER_FRAME) {
            throw new IllegalArgumentException(
                    "at most " + MAX_TOKENS_PER_FRAME + " tokens per frame, got N=" + tokensPerFrame);
        }
        if (gridWidth < 1 || tokensPerFrame % gridWidth != 0) {
            throw new IllegalArgumentException("grid width " + gridWidth + " does not divide N=" + tokensPerFrame);
        }
        if (windowFrames < 1 || hop < 1) {
            throw new IllegalArgumentException(
                    "window and hop must be at least 1 frame, got W=" + windowFrames + " H=" + hop);
        }
        final long rows = (long) windowFrames * tokensPerFrame;
        if (rows * dim > Integer.MAX_VALUE - 16 || rows > 0xFFFF * 64L) {
            throw new IllegalArgumentException("window too large: W*N*D = " + rows * dim + " floats");
        }
        this.params = params;
        this.orders = orders;
        this.n = tokensPerFrame;
        this.d = dim;
        this.hop = hop;
        this.ring = new FrameRing(tokensPerFrame, dim, windowFrames);
        this.temporalStep = params.budget() != null
                ? new BudgetTemporal(ring, params)
                : new ThresholdTemporal(ring, params, orders);
        this.mergeColumns = new MergeColumns(ring);
        this.mergeOutput = new MergeOutput(ring, gridWidth);
        this.refinedOutput =
                params.mode() == ScissorParams.Mode.REFINED ? new RefinedOutput(ring, params, gridWidth) : null;
    }

    /** Total time spent in spatial steps since creation, in nanoseconds. */
    public long spatialNanos() {
        return spatialNanos;
    }

    /** Total time spent computing new frames' temporal similarities since creation, in nanoseconds. */
    public long temporalSimilarityNanos() {
        return temporalStep.nanos();
    }

    /** Frames currently held. */
    public int size() {
        return ring.size();
    }

    /** W. */
    public int windowFrames() {
        return ring.capacity();
    }

    /** The parameters. */
    public ScissorParams params() {
        return params;
    }

    /**
     * Adds a frame, evicting the oldest when the window is full.
     *
     * @param frameSeq the frame's sequence number, greater than the previous frame's
     * @param tokens the frame's tokens, [N, D] row-major from {@code off}
     * @param off offset of the frame's first value
     * @return the compressed window when this frame completes a hop, else {@code null}
     * @throws IllegalArgumentException for a short array, a non-finite value or a sequence number
     *     that does not increase; the window is unchanged
     */
    public WindowResult push(final long frameSeq, final float[] tokens, final int off) {
        add(frameSeq, tokens, off);
        if (ring.size() == ring.capacity() && (!emitted || sinceEmit >= hop)) {
            return emit();
        }
        return null;
    }

    /**
     * Adds a frame, evicting the oldest when the window is full, and never emits: for callers that
     * decide themselves when to {@link #emit()} (hop counting kept elsewhere, early emits on scene
     * changes), and for rebuilding a window from stored frames.
     *
     * @param frameSeq the frame's sequence number, greater than the previous frame's
     * @param tokens the frame's tokens, [N, D] row-major from {@code off}
     * @param off offset of the frame's first value
     * @throws IllegalArgumentException for a short array, a non-finite value or a sequence number
     *     that does not increase; the window is unchanged
     */
    public void add(final long frameSeq, final float[] tokens, final int off) {
        final int len = n * d;
        if (tokens == null || off < 0 || off > tokens.length - len) {
            throw new IllegalArgumentException("frame needs " + len + " floats (N=" + n + ", D=" + d + ") from offset "
                    + off + ", got " + (tokens == null ? "null" : tokens.length + " in the array"));
        }
        if (ring.size() > 0 && frameSeq <= ring.newestSeq()) {
            throw new IllegalArgumentException("frame sequence " + frameSeq + " does not follow " + ring.newestSeq());
        }
        final long t0 = System.nanoTime();
        final SpatialFrame frame =
                spatialStep.compute(tokens, off, n, d, params, orders, frameSeq); // also checks values
        spatialNanos += System.nanoTime() - t0;
        if (ring.size() == ring.capacity()) {
            temporalStep.evicting();
            ring.evictOldest();
        }
        final int slot = ring.add(frameSeq, tokens, off, frame);
        mergeOutput.added(slot);
        temporalStep.added(slot);
        sinceEmit++;
    }

    /** Sequence number of the newest frame. @throws IllegalStateException when the window is empty */
    public long newestSeq() {
        if (ring.size() == 0) {
            throw new IllegalStateException("the window is empty");
        }
        return ring.newestSeq();
    }

    /**
     * How new the newest frame is: the fraction of its N tokens whose spatial component has no
     * temporal edge ({@code cos > tau}) to any spatial token of the frame before it. 0 means every
     * part of the frame was already there; 1 means nothing was (a scene cut). It is 0 when the window
     * holds fewer than two frames.
     *
     * <p>In budget mode the cached similarities are compared with tau in float32 (the value is a
     * signal for early emits, not part of the compressed output).
     *
     * @return the novelty in [0, 1]
     */
    public double novelty() {
        final int count = ring.size();
        if (count < 2) {
            return 0.0;
        }
        temporalStep.update();
        final int f = ring.slot(count - 1);
        final SpatialFrame newest = ring.spatial(f);
        final boolean[] matched = new boolean[newest.count];
        temporalStep.linked(f, ring.slot(count - 2), matched);
        int fresh = 0;
        for (int t = 0; t < n; t++) {
            if (!matched[newest.labels[t]]) {
                fresh++;
            }
        }
        return (double) fresh / n;
    }

    /**
     * Compresses the frames held now, whatever the hop (e.g. on a scene change, or to flush a
     * partial window at the end of a stream), and restarts the hop count.
     *
     * @return the compressed window
     * @throws IllegalStateException when the window is empty
     */
    public WindowResult emit() {
        if (ring.size() == 0) {
            throw new IllegalStateException("cannot emit an empty window");
        }
        final long started = System.nanoTime();
        // Spatial step: done per frame as it was added (ring.spatial). Temporal step: components of
        // the window's S spatial tokens from the cached frame-pair similarities.
        temporalStep.update();
        final WindowLayout window = ring.layout();
        final int[] temporal = new int[window.spatialTokens()];
        final int m = temporalStep.components(window, temporal);
        // Merge step: retained tokens and their columns (reused for components seen at the previous
        // emit), the argmax of every original token, then the output tokens.
        final int frames = window.frames();
        final int newFrames = emitted ? Math.min(sinceEmit, frames) : frames;
        final int[] slots = mergeColumns.columns(window, temporal, m, newFrames);
        final int[] assignment = mergeColumns.assign(window, temporal, m, slots);
        final WindowResult classic = mergeOutput.finish(window, temporal, m, mergeColumns, slots, assignment, started);
        final WindowResult out = refinedOutput == null ? classic : refinedOutput.refine(window, classic, started);
        sinceEmit = 0;
        emitted = true;
        return out;
    }
}
