package dev.scissor.compressor;

import dev.scissor.compressor.internal.Bits;
import dev.scissor.compressor.internal.Components;
import dev.scissor.compressor.internal.Exact;
import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.Refinement;
import dev.scissor.compressor.internal.Sampling;
import dev.scissor.compressor.internal.SingleLinkageCut;
import dev.scissor.compressor.internal.SlotTable;
import dev.scissor.compressor.internal.SpatialFrame;
import dev.scissor.compressor.internal.SpatialScc;
import java.util.Arrays;

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
 * samples). In threshold mode, threshold and argmax decisions are certified against float64 (see
 * {@code Exact}), so they do not depend on the shape of the BLAS calls that produced them; in budget
 * mode the single-linkage cut orders float32 similarities whose per-frame-pair products have a fixed
 * shape, so the window equals the batch on one BLAS (native and pure-Java BLAS may differ). Every
 * value is computed from the same inputs in the same order.
 *
 * <p>In {@link ScissorParams.Mode#REFINED} mode the window runs the classic budget mode to
 * {@code max(1, K / 2)} components as above, then regroups the window's T * N tokens with a
 * {@code Refinement} that is a deterministic function of the window's tokens and those components
 * only (no state carried between emits); so the refined output equals the batch computation by
 * construction, under the same condition (one BLAS) as budget mode.
 *
 * <p>Not thread-safe; one window per stream. Frames must be finite and arrive with increasing
 * sequence numbers.
 */
public final class SlidingWindow {

    private static final int ROW_BLOCK = 1024;
    private static final long MAX_PRODUCT = 1 << 22; // floats of one temporal similarity product (16 MiB)
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;
    private static final int MAX_TOKENS_PER_FRAME = 46340; // the spatial step's N x N similarities fit one array

    private final ScissorParams params;
    private final SampleOrders orders;
    private final int n;
    private final int d;
    private final int gridWidth;
    private final int capacity;
    private final int hop;
    private final boolean budgetMode;
    private final boolean refined;
    private Refinement refinement;
    private float[] windowTokens = new float[0];

    private final float[] x;
    private final double[] xNorm; // float32-accurate norms of the ring's tokens (bounds, zero test)
    private final long[] seq;
    private final SpatialFrame[] spatial;
    private int head;
    private int count;
    private int sinceEmit;
    private boolean emitted;

    private final long[][] edgeBlocks;
    private final float[][] simBlocks;
    // Threshold mode: the window's normalised spatial tokens, rows [windowStart, windowEnd) frame by
    // frame from the oldest (frame slot f from rowOf[f]); the newest {@code pending} frames have no
    // temporal edges yet.
    private float[] normalized = new float[0];
    private int windowStart;
    private int windowEnd;
    private final int[] rowOf;
    private int pending;
    private float[] cross = new float[0];
    private float[] self = new float[0];

    private final SpatialScc scc = new SpatialScc();
    private final Components components = new Components();
    private final SingleLinkageCut cut = new SingleLinkageCut();

    // Per component cache slot s: its retained token, normalisation and norm, and its merge column
    // (similarity of every ring row's token with the normalised retained token) at cols[s * ringRows + row].
    private final int ringRows;
    private float[] cols = new float[0];
    private float[][] retainedOf = new float[0][];
    private float[][] retainedNOf = new float[0][];
    private double[] retainedNorm = new double[0];
    private int slotCapacity;
    private SlotTable previous = new SlotTable();
    private SlotTable current = new SlotTable();
    private boolean[] slotTaken = new boolean[0];
    private boolean[] newSlot = new boolean[0];

    // Per ring frame: whether it was in an emitted window, and (from its second emit on) the grouping
    // of its tokens by output token (groups numbered in order of first appearance; count -1 when
    // stale) with the float64 sum of each group, reused while the grouping is unchanged.
    private final boolean[] emittedBefore;
    private final int[][] frameGroups;
    private final int[] frameGroupCount;
    private final double[][][] frameSums;

    // Work buffers.
    private long[] globalBits = new long[0];
    private int[] degree = new int[0];
    private int[] frameOf = new int[0];
    private int[] localOf = new int[0];
    private final double[] rowAcc;
    private float[] gather = new float[0];
    private float[] product = new float[0];
    private final float[] bestV;
    private final float[] secondV;
    private final float[] colBlock = new float[ROW_BLOCK];
    private final float[] blockBest = new float[ROW_BLOCK];
    private final float[] blockSecond = new float[ROW_BLOCK];
    private int[] groupOf = new int[0];
    private final int[] groupOutput;
    private final int[] group;
    private final int[] componentGroup;
    private final int[] groupTokens;
    private final double[] rest;
    private final double[] token;
    private double[][] outputSums = new double[0][];
    private double[][] groupSums = new double[0][];
    private final float cosErr;
    private long spatialNanos;
    private long temporalNanos;

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
    public SlidingWindow(final ScissorParams params, final SampleOrders orders, final int tokensPerFrame,
                         final int dim, final int gridWidth, final int windowFrames, final int hop) {
        if (params == null || orders == null) {
            throw new IllegalArgumentException("params and orders are required");
        }
        if (tokensPerFrame < 1 || dim < 1) {
            throw new IllegalArgumentException("tokens per frame and dim must be positive, got N=" + tokensPerFrame
                    + " D=" + dim);
        }
        if (tokensPerFrame > MAX_TOKENS_PER_FRAME) {
            throw new IllegalArgumentException("at most " + MAX_TOKENS_PER_FRAME + " tokens per frame, got N="
                    + tokensPerFrame);
        }
        if (gridWidth < 1 || tokensPerFrame % gridWidth != 0) {
            throw new IllegalArgumentException("grid width " + gridWidth + " does not divide N=" + tokensPerFrame);
        }
        if (windowFrames < 1 || hop < 1) {
            throw new IllegalArgumentException("window and hop must be at least 1 frame, got W=" + windowFrames
                    + " H=" + hop);
        }
        final long ring = (long) windowFrames * tokensPerFrame;
        if (ring * dim > Integer.MAX_VALUE - 16 || ring > 0xFFFF * 64L) {
            throw new IllegalArgumentException("window too large: W*N*D = " + ring * dim + " floats");
        }
        this.params = params;
        this.orders = orders;
        this.n = tokensPerFrame;
        this.d = dim;
        this.gridWidth = gridWidth;
        this.capacity = windowFrames;
        this.hop = hop;
        this.budgetMode = params.budget() != null;
        this.refined = params.mode() == ScissorParams.Mode.REFINED;
        this.ringRows = (int) ring;
        this.x = new float[(int) (ring * dim)];
        this.xNorm = new double[(int) ring];
        this.seq = new long[windowFrames];
        this.spatial = new SpatialFrame[windowFrames];
        this.edgeBlocks = budgetMode ? null : new long[windowFrames * windowFrames][];
        this.simBlocks = budgetMode ? new float[windowFrames * windowFrames][] : null;
        this.rowOf = new int[windowFrames];
        this.bestV = new float[ringRows];
        this.secondV = new float[ringRows];
        this.emittedBefore = new boolean[windowFrames];
        this.frameGroups = new int[windowFrames][tokensPerFrame];
        this.frameGroupCount = new int[windowFrames];
        this.frameSums = new double[windowFrames][][];
        this.rowAcc = new double[dim];
        this.groupOutput = new int[tokensPerFrame];
        this.group = new int[tokensPerFrame];
        this.componentGroup = new int[tokensPerFrame];
        this.groupTokens = new int[tokensPerFrame];
        this.rest = new double[dim];
        this.token = new double[dim];
        this.cosErr = Exact.cosineErrorBound(dim) * 1.01f; // |X_i| is known to float32 accuracy
    }

    /** Total time spent in spatial steps since creation, in nanoseconds. */
    public long spatialNanos() {
        return spatialNanos;
    }

    /** Total time spent computing new frames' temporal similarities since creation, in nanoseconds. */
    public long temporalSimilarityNanos() {
        return temporalNanos;
    }

    /** Frames currently held. */
    public int size() {
        return count;
    }

    /** W. */
    public int windowFrames() {
        return capacity;
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
        if (count == capacity && (!emitted || sinceEmit >= hop)) {
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
        if (count > 0 && frameSeq <= seq[(head + count - 1) % capacity]) {
            throw new IllegalArgumentException("frame sequence " + frameSeq + " does not follow "
                    + seq[(head + count - 1) % capacity]);
        }
        final long t0 = System.nanoTime();
        final SpatialFrame frame = scc.compute(tokens, off, n, d, params, orders, frameSeq); // also checks values
        final long t1 = System.nanoTime();
        if (count == capacity) {
            if (!budgetMode) {
                windowStart += spatial[head].count;
                pending = Math.min(pending, count - 1);
            }
            head = (head + 1) % capacity;
            count--;
        }
        final int slot = (head + count) % capacity;
        System.arraycopy(tokens, off, x, slot * len, len);
        spatial[slot] = frame;
        for (int r = 0; r < n; r++) {
            xNorm[slot * n + r] = frame.inputNorms[r];
        }
        seq[slot] = frameSeq;
        frameGroupCount[slot] = -1;
        emittedBefore[slot] = false;
        count++;
        spatialNanos += t1 - t0;
        if (budgetMode) {
            final long t2 = System.nanoTime();
            for (int t = 0; t < count; t++) {
                similarities(slot, (head + t) % capacity);
            }
            temporalNanos += System.nanoTime() - t2;
        } else {
            appendNormalized(slot);
            pending++;
        }
        sinceEmit++;
    }

    /** Sequence number of the newest frame. @throws IllegalStateException when the window is empty */
    public long newestSeq() {
        if (count == 0) {
            throw new IllegalStateException("the window is empty");
        }
        return seq[(head + count - 1) % capacity];
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
        if (count < 2) {
            return 0.0;
        }
        edges();
        final int f = (head + count - 1) % capacity;
        final int g = (head + count - 2) % capacity;
        final SpatialFrame pf = spatial[f];
        final SpatialFrame pg = spatial[g];
        final int sf = pf.count;
        final int sg = pg.count;
        final int block = f * capacity + g;
        final boolean[] matched = new boolean[sf];
        for (int i = 0; i < sf; i++) {
            if (budgetMode) {
                final float[] sims = simBlocks[block];
                for (int j = 0; j < sg && !matched[i]; j++) {
                    matched[i] = pf.norms[i] != 0.0 && pg.norms[j] != 0.0 && sims[i * sg + j] > params.tau();
                }
            } else {
                final long[] edges = edgeBlocks[block];
                final int wg = Bits.words(sg);
                for (int w = 0; w < wg && !matched[i]; w++) {
                    matched[i] = edges[i * wg + w] != 0L;
                }
            }
        }
        int fresh = 0;
        for (int t = 0; t < n; t++) {
            if (!matched[pf.labels[t]]) {
                fresh++;
            }
        }
        return (double) fresh / n;
    }

    /** Budget mode: similarities of frame f's spatial tokens (the newest) against frame g's. */
    private void similarities(final int f, final int g) {
        final int sf = spatial[f].count;
        final int sg = spatial[g].count;
        final int block = f * capacity + g;
        float[] s = simBlocks[block];
        if (s == null || s.length < sf * sg) {
            s = new float[Math.max(sf * sg, 1)];
            simBlocks[block] = s;
        }
        Gemm.abt(sf, sg, d, spatial[f].normalized, 0, d, spatial[g].normalized, 0, d, s, 0, sg);
    }

    /**
     * Threshold mode: the certified temporal edges of the frames added since the last call. Those
     * frames go in blocks of consecutive frames, each with two products on the window's normalised
     * spatial tokens: the block's against all earlier frames', and the block's among themselves (lower
     * triangle). Edges are certified decisions, so they do not depend on the shape of these products.
     */
    private void edges() {
        if (budgetMode || pending == 0) {
            return;
        }
        final long started = System.nanoTime();
        for (int a = count - pending, b; a < count; a = b) {
            final int p0 = rowOf[(head + a) % capacity];
            final int before = p0 - windowStart;
            b = a + 1;
            while (b < count && (long) (endRow(b) - p0) * (endRow(b) - windowStart) <= MAX_PRODUCT) {
                b++;
            }
            final int rows = endRow(b - 1) - p0;
            if (cross.length < (long) rows * before) {
                cross = new float[arrayLength((long) rows * before)];
            }
            if (self.length < (long) rows * rows) {
                self = new float[arrayLength((long) rows * rows)];
            }
            Gemm.abt(rows, before, d, normalized, p0 * d, d, normalized, windowStart * d, d, cross, 0, before);
            Gemm.aat(rows, d, normalized, p0 * d, d, self, 0, rows);
            for (int t = a; t < b; t++) {
                final int f = (head + t) % capacity;
                final int fr = rowOf[f] - p0;
                for (int u = 0; u <= t; u++) {
                    final int g = (head + u) % capacity;
                    if (u < a) {
                        certify(f, g, cross, fr * before + rowOf[g] - windowStart, before);
                    } else {
                        certify(f, g, self, fr * rows + rowOf[g] - p0, rows);
                    }
                }
            }
        }
        pending = 0;
        temporalNanos += System.nanoTime() - started;
    }

    /** End of window frame t's rows in {@link #normalized}. */
    private int endRow(final int t) {
        final int f = (head + t) % capacity;
        return rowOf[f] + spatial[f].count;
    }

    /**
     * Edges between frame f's and frame g's spatial tokens (g not after f) from their similarities
     * at {@code sims[at + i * ld + j]} (for f == g, the entries with j &lt;= i).
     */
    private void certify(final int f, final int g, final float[] sims, final int at, final int ld) {
        final SpatialFrame pf = spatial[f];
        final SpatialFrame pg = spatial[g];
        final int sf = pf.count;
        final int sg = pg.count;
        final int wg = Bits.words(sg);
        final int wf = Bits.words(sf);
        final long[] fg = edgeBlock(f * capacity + g, sf * wg);
        final long[] gf = f == g ? fg : edgeBlock(g * capacity + f, sg * wf);
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

    /**
     * Threshold mode: appends frame slot's normalised spatial tokens after the window's (rows
     * [windowStart, windowEnd) of {@link #normalized}, oldest frame first), compacting the buffer when
     * they do not fit, or growing it to what W frames like these need.
     */
    private void appendNormalized(final int slot) {
        final SpatialFrame sf = spatial[slot];
        if ((long) (windowEnd + sf.count) * d > normalized.length) {
            final int live = windowEnd - windowStart;
            final long needed = (long) (live + sf.count) * d;
            final long grown = Math.max(2 * needed, needed * capacity / count * 5 / 4);
            final float[] to = 2 * needed <= normalized.length ? normalized
                    : new float[(int) Math.min(grown, (long) ringRows * d)];
            System.arraycopy(normalized, windowStart * d, to, 0, live * d);
            normalized = to;
            for (int t = 0; t < count - 1; t++) {
                rowOf[(head + t) % capacity] -= windowStart;
            }
            windowStart = 0;
            windowEnd = live;
        }
        System.arraycopy(sf.normalized, 0, normalized, windowEnd * d, sf.count * d);
        rowOf[slot] = windowEnd;
        windowEnd += sf.count;
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

    /**
     * Compresses the frames held now, whatever the hop (e.g. on a scene change, or to flush a
     * partial window at the end of a stream), and restarts the hop count.
     *
     * @return the compressed window
     * @throws IllegalStateException when the window is empty
     */
    public WindowResult emit() {
        if (count == 0) {
            throw new IllegalStateException("cannot emit an empty window");
        }
        final long started = System.nanoTime();
        edges();
        final int frames = count;
        final int[] slotOf = new int[frames];
        final int[] offset = new int[frames + 1];
        final long[] seqs = new long[frames];
        final int[] spatialCounts = new int[frames];
        for (int t = 0; t < frames; t++) {
            slotOf[t] = (head + t) % capacity;
            seqs[t] = seq[slotOf[t]];
            spatialCounts[t] = spatial[slotOf[t]].count;
            offset[t + 1] = offset[t] + spatialCounts[t];
        }
        final int s = offset[frames];
        ensureSpatialBuffers(s);
        for (int t = 0; t < frames; t++) {
            for (int l = 0; l < spatialCounts[t]; l++) {
                frameOf[offset[t] + l] = t;
                localOf[offset[t] + l] = l;
            }
        }

        final int[] temporal = new int[s];
        final int m = budgetMode ? cutComponents(frames, slotOf, s, temporal)
                : thresholdComponents(frames, slotOf, offset, s, temporal);

        // A component with the member set of one seen at the previous emit keeps its cache slot: its
        // retained token and merge column are reused (a 128-bit hash of the member set identifies it).
        final long[] hashA = new long[m];
        final long[] hashB = new long[m];
        final int[] memberStart = new int[m + 1];
        for (int u = 0; u < s; u++) {
            final int j = temporal[u];
            memberStart[j + 1]++;
            final long id = mix(seqs[frameOf[u]] * 0x10001L + localOf[u]);
            hashA[j] = hashA[j] * 0x9E3779B97F4A7C15L + id;
            hashB[j] = (hashB[j] ^ id) * 0xC2B2AE3D27D4EB4FL + 1;
        }
        final int newFrames = emitted ? Math.min(sinceEmit, frames) : frames;
        final int[] slots = new int[m];
        final int changed = slots(m, hashA, hashB, newFrames < frames, slots);
        final int[] changedIdx = new int[changed];
        final int[] unchangedIdx = new int[m - changed];
        for (int j = 0, c = 0, u = 0; j < m; j++) {
            if (newSlot[j]) {
                changedIdx[c++] = j;
            } else {
                unchangedIdx[u++] = j;
            }
        }
        retainedTokens(slotOf, s, temporal, memberStart, changedIdx, slots);
        // Changed components: every live row. Unchanged: only the rows of frames pushed since the previous emit.
        computeColumns(changedIdx, slots, 0, frames);
        computeColumns(unchangedIdx, slots, frames - newFrames, frames);
        final int[] assignment = assign(frames, slotOf, offset, temporal, m, slots);
        final WindowResult classic = finish(frames, slotOf, offset, seqs, spatialCounts, temporal, m, slots,
                assignment, started);
        final WindowResult out = refined ? refine(classic, slotOf, offset, started) : classic;
        sinceEmit = 0;
        emitted = true;
        return out;
    }

    private int thresholdComponents(final int frames, final int[] slotOf, final int[] offset, final int s,
                                    final int[] temporal) {
        final int words = Bits.words(s);
        if (globalBits.length < (long) s * words) {
            globalBits = new long[arrayLength((long) s * words)];
        } else {
            Arrays.fill(globalBits, 0, s * words, 0L);
        }
        for (int a = 0; a < frames; a++) {
            final int sa = spatial[slotOf[a]].count;
            for (int b = 0; b < frames; b++) {
                final int sb = spatial[slotOf[b]].count;
                final long[] block = edgeBlocks[slotOf[a] * capacity + slotOf[b]];
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
        final int[] sampled = Sampling.sample(params, orders, SampleOrders.Stage.TEMPORAL, -1L, s);
        return components.label(globalBits, s, words, sampled, degree, temporal);
    }

    private int cutComponents(final int frames, final int[] slotOf, final int s, final int[] temporal) {
        final int budget = params.budget().tokensFor((long) frames * n);
        final int k = refined ? Math.max(1, budget / 2) : budget;
        return cut.cut(s, k, (u, v) -> {
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

    /**
     * The refined mode's output: the window's tokens regrouped from the classic components (see
     * {@link ScissorParams.Mode#REFINED}). Spatial counts and labels are the classic ones; the
     * temporal label of a spatial token is the output token of its first member; an output token
     * that no original token chose (an emptied cluster keeps its previous mean) takes its span and
     * position from its first token when it last had members.
     */
    private WindowResult refine(final WindowResult classic, final int[] slotOf, final int[] offset,
                                final long started) {
        final int frames = classic.frames();
        final int rows = frames * n;
        if (windowTokens.length < rows * d) {
            windowTokens = new float[rows * d];
        }
        for (int t = 0; t < frames; t++) {
            System.arraycopy(x, slotOf[t] * n * d, windowTokens, t * n * d, n * d);
        }
        final int[] spatialLabels = classic.spatialLabels();
        final int[] temporal = classic.temporalLabels();
        final int[] initial = new int[rows];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < n; i++) {
                initial[t * n + i] = temporal[offset[t] + spatialLabels[t * n + i]];
            }
        }
        if (refinement == null) {
            refinement = new Refinement();
        }
        final int k = params.budget().tokensFor(rows);
        final Refinement.Result r = refinement.refine(windowTokens, rows, d, initial, classic.tokenCount(), k);
        final int m = r.count;
        final long[] seqs = classic.frameSeqs();
        final int[] merged = new int[m];
        final long[] first = new long[m];
        final long[] last = new long[m];
        final double[] rowSum = new double[m];
        final double[] colSum = new double[m];
        Arrays.fill(first, Long.MAX_VALUE);
        Arrays.fill(last, Long.MIN_VALUE);
        final int[] newTemporal = new int[temporal.length];
        Arrays.fill(newTemporal, -1);
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < n; i++) {
                final int j = r.labels[t * n + i];
                merged[j]++;
                first[j] = Math.min(first[j], seqs[t]);
                last[j] = Math.max(last[j], seqs[t]);
                rowSum[j] += i / gridWidth;
                colSum[j] += i % gridWidth;
                final int u = offset[t] + spatialLabels[t * n + i];
                if (newTemporal[u] < 0) {
                    newTemporal[u] = j;
                }
            }
        }
        final float[] meanRow = new float[m];
        final float[] meanCol = new float[m];
        for (int j = 0; j < m; j++) {
            if (merged[j] > 0) {
                meanRow[j] = (float) (rowSum[j] / merged[j]);
                meanCol[j] = (float) (colSum[j] / merged[j]);
            } else {
                final int a = r.anchors[j];
                first[j] = seqs[a / n];
                last[j] = seqs[a / n];
                meanRow[j] = (a % n) / gridWidth;
                meanCol[j] = (a % n) % gridWidth;
            }
        }
        return new WindowResult(frames, n, d, seqs, r.tokens, classic.spatialCounts(), spatialLabels, newTemporal,
                r.labels, merged, first, last, meanRow, meanCol, System.nanoTime() - started);
    }

    /**
     * Gives every component a cache slot: the slot of the component with the same member set at the
     * previous emit when {@code reuse}, else a free one (marked in {@link #newSlot}). Returns the
     * number of new slots.
     */
    private int slots(final int m, final long[] hashA, final long[] hashB, final boolean reuse, final int[] slots) {
        ensureSlots(m); // new components take the lowest free slots (< m); reused ones are < slotCapacity
        Arrays.fill(slotTaken, false);
        if (newSlot.length < m) {
            newSlot = new boolean[m];
        }
        for (int j = 0; j < m; j++) {
            slots[j] = reuse ? previous.get(hashA[j], hashB[j]) : -1;
            if (slots[j] >= 0) {
                slotTaken[slots[j]] = true;
            }
        }
        int changed = 0;
        for (int j = 0, free = 0; j < m; j++) {
            newSlot[j] = slots[j] < 0;
            if (newSlot[j]) {
                while (slotTaken[free]) {
                    free++;
                }
                slots[j] = free;
                slotTaken[free] = true;
                changed++;
            }
        }
        final SlotTable t = previous;
        previous = current;
        current = t;
        previous.clear(m);
        for (int j = 0; j < m; j++) {
            previous.put(hashA[j], hashB[j], slots[j]);
        }
        return changed;
    }

    /**
     * Retained tokens R of components {@code idx} into their slots: plain means of the member spatial
     * tokens in ascending global order, their float32 normalisations and double norms.
     * {@code memberStart[j + 1]} holds component j's member count and is made cumulative here.
     */
    private void retainedTokens(final int[] slotOf, final int s, final int[] temporal, final int[] memberStart,
                                final int[] idx, final int[] slots) {
        final int m = memberStart.length - 1;
        for (int j = 0; j < m; j++) {
            memberStart[j + 1] += memberStart[j];
        }
        final int[] members = new int[s];
        final int[] next = Arrays.copyOf(memberStart, m);
        for (int u = 0; u < s; u++) {
            members[next[temporal[u]]++] = u;
        }
        for (final int j : idx) {
            Arrays.fill(rowAcc, 0.0);
            for (int p = memberStart[j]; p < memberStart[j + 1]; p++) {
                final int u = members[p];
                final float[] tokens = spatial[slotOf[frameOf[u]]].tokens;
                final int src = localOf[u] * d;
                for (int i = 0; i < d; i++) {
                    rowAcc[i] += tokens[src + i];
                }
            }
            final double c = memberStart[j + 1] - memberStart[j];
            for (int i = 0; i < d; i++) {
                rowAcc[i] /= c; // double to double: the JIT vectorizes the divisions
            }
            final int sl = slots[j];
            for (int i = 0; i < d; i++) {
                retainedOf[sl][i] = (float) rowAcc[i];
            }
            Exact.normalizeRows(retainedOf[sl], 1, d, retainedNOf[sl], retainedNorm, sl);
        }
    }

    /** Merge columns of components {@code idx} for the ring rows of window frames [fromFrame, toFrame). */
    private void computeColumns(final int[] idx, final int[] slots, final int fromFrame, final int toFrame) {
        final int k = idx.length;
        if (k == 0 || fromFrame >= toFrame) {
            return;
        }
        if (gather.length < k * d) {
            gather = new float[k * d];
        }
        boolean consecutive = true;
        for (int c = 0; c < k; c++) {
            System.arraycopy(retainedNOf[slots[idx[c]]], 0, gather, c * d, d);
            consecutive &= slots[idx[c]] == slots[idx[0]] + c;
        }
        // Live frames [from, to) occupy ring slots head+from .. head+to-1 (mod W): at most two runs.
        int f = fromFrame;
        while (f < toFrame) {
            final int startSlot = (head + f) % capacity;
            final int run = Math.min(toFrame - f, capacity - startSlot);
            final int r0 = startSlot * n;
            final int rows = run * n;
            if (consecutive) { // e.g. every component of a fresh window: straight into the cache
                Gemm.abt(k, rows, d, gather, 0, d, x, r0 * d, d, cols, slots[idx[0]] * ringRows + r0, ringRows);
            } else {
                if (product.length < k * rows) {
                    product = new float[k * rows];
                }
                Gemm.abt(k, rows, d, gather, 0, d, x, r0 * d, d, product, 0, rows);
                for (int c = 0; c < k; c++) {
                    System.arraycopy(product, c * rows, cols, slots[idx[c]] * ringRows + r0, rows);
                }
            }
            f += run;
        }
    }

    /**
     * Certified argmax of every live original token over the retained tokens. One pass over the
     * columns keeps each row's best and runner-up similarity (float max/min, which vectorize); a row
     * whose runner-up is within the error bound of its best is re-decided in float64. Otherwise the
     * best is unique and is looked up: the token's own component (usually), else the last one found
     * for its spatial component, else every column.
     */
    private int[] assign(final int frames, final int[] slotOf, final int[] offset, final int[] temporal, final int m,
                         final int[] slots) {
        final int[] assignment = new int[frames * n];
        final float[] best = bestV;
        final float[] second = secondV;
        // Live frames occupy ring slots head .. head+frames-1 (mod W): at most two runs of rows.
        for (int f = 0; f < frames; ) {
            final int startSlot = slotOf[f];
            final int run = Math.min(frames - f, capacity - startSlot);
            final int r0 = startSlot * n;
            final int r1 = r0 + run * n;
            // Blocks of rows; each column's block is copied into colBlock first, so that every array
            // of the loop has the same index and the JIT vectorizes it.
            for (int b0 = r0; b0 < r1; b0 += ROW_BLOCK) {
                final int len = Math.min(ROW_BLOCK, r1 - b0);
                Arrays.fill(blockBest, Float.NEGATIVE_INFINITY);
                Arrays.fill(blockSecond, Float.NEGATIVE_INFINITY);
                for (int j = 0; j < m; j++) {
                    System.arraycopy(cols, slots[j] * ringRows + b0, colBlock, 0, len);
                    for (int i = 0; i < len; i++) {
                        final float v = colBlock[i];
                        final float b = blockBest[i];
                        blockSecond[i] = Math.max(blockSecond[i], Math.min(v, b));
                        blockBest[i] = Math.max(b, v);
                    }
                }
                System.arraycopy(blockBest, 0, best, b0, len);
                System.arraycopy(blockSecond, 0, second, b0, len);
            }
            f += run;
        }
        for (int t = 0; t < frames; t++) {
            final int r0 = slotOf[t] * n;
            final int[] labels = spatial[slotOf[t]].labels;
            final int[] hint = Arrays.copyOfRange(temporal, offset[t], offset[t + 1]);
            for (int i = 0; i < n; i++) {
                final int r = r0 + i;
                final double floor = best[r] - 2.0 * cosErr * xNorm[r];
                int j;
                if (xNorm[r] == 0.0) {
                    j = 0; // cosine 0 with every retained token: the lowest index wins
                } else if (!Double.isFinite(floor)) {
                    j = overflowedRow(r, m, slots);
                } else if (second[r] >= floor) {
                    j = exactArgmax(r, floor, m, slots);
                } else {
                    j = temporal[offset[t] + labels[i]];
                    if (cols[slots[j] * ringRows + r] != best[r]) {
                        j = hint[labels[i]];
                        if (cols[slots[j] * ringRows + r] != best[r]) {
                            j = 0;
                            while (cols[slots[j] * ringRows + r] != best[r]) {
                                j++;
                            }
                            hint[labels[i]] = j;
                        }
                    }
                }
                assignment[t * n + i] = j;
            }
        }
        return assignment;
    }

    /**
     * A row with an infinite or NaN similarity or norm (a float32 dot product that overflowed): no
     * float32 bound holds, so every retained token is re-decided in float64.
     */
    private int overflowedRow(final int r, final int m, final int[] slots) {
        return exactArgmax(r, Double.NEGATIVE_INFINITY, m, slots);
    }

    private int exactArgmax(final int r, final double floor, final int m, final int[] slots) {
        final double exact = Exact.norm(x, r * d, d);
        int best = -1;
        double bestCos = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < m; j++) {
            if (!(cols[slots[j] * ringRows + r] < floor)) { // NaN (overflowed) columns are candidates
                final double c = Exact.cosine(x, r * d, exact, retainedOf[slots[j]], 0, retainedNorm[slots[j]], d);
                if (c > bestCos) {
                    bestCos = c;
                    best = j;
                }
            }
        }
        return best;
    }

    /**
     * Output tokens {@code (R_j + sum of the tokens assigned to j) / (count + 1)} and coverage. Sums are
     * float64, per frame first (one partial sum per group of the frame's tokens with the same output
     * token), then over frames in order; a frame whose grouping is unchanged since its previous emit
     * keeps its partial sums.
     */
    private WindowResult finish(final int frames, final int[] slotOf, final int[] offset, final long[] seqs,
                                final int[] spatialCounts, final int[] temporal, final int m, final int[] slots,
                                final int[] assignment, final long started) {
        final double[][] sums = outputSums(m);
        final int[] merged = new int[m];
        final long[] first = new long[m];
        final long[] last = new long[m];
        final double[] rowSum = new double[m];
        final double[] colSum = new double[m];
        final int[] memberTokens = new int[m];
        final long[] memberFirst = new long[m];
        final long[] memberLast = new long[m];
        final double[] memberRow = new double[m];
        final double[] memberCol = new double[m];
        Arrays.fill(first, Long.MAX_VALUE);
        Arrays.fill(last, Long.MIN_VALUE);
        Arrays.fill(memberFirst, Long.MAX_VALUE);
        Arrays.fill(memberLast, Long.MIN_VALUE);
        if (groupOf.length < m) {
            groupOf = new int[m];
            Arrays.fill(groupOf, -1);
        }
        final int[] spatialLabels = new int[frames * n];
        for (int t = 0; t < frames; t++) {
            final int f = slotOf[t];
            final SpatialFrame sf = spatial[f];
            System.arraycopy(sf.labels, 0, spatialLabels, t * n, n);
            int groups = 0;
            for (int i = 0; i < n; i++) {
                final int j = assignment[t * n + i];
                if (groupOf[j] < 0) {
                    groupOf[j] = groups;
                    groupOutput[groups++] = j;
                }
                group[i] = groupOf[j];
                final int row = i / gridWidth;
                final int col = i % gridWidth;
                merged[j]++;
                first[j] = Math.min(first[j], seqs[t]);
                last[j] = Math.max(last[j], seqs[t]);
                rowSum[j] += row;
                colSum[j] += col;
                final int own = temporal[offset[t] + sf.labels[i]];
                memberTokens[own]++;
                memberFirst[own] = Math.min(memberFirst[own], seqs[t]);
                memberLast[own] = Math.max(memberLast[own], seqs[t]);
                memberRow[own] += row;
                memberCol[own] += col;
            }
            final double[][] parts;
            if (groups == frameGroupCount[f] && Arrays.equals(group, 0, n, frameGroups[f], 0, n)) {
                parts = frameSums[f];
            } else {
                parts = groupSums(f, groups);
                if (emittedBefore[f]) {
                    remember(f, groups);
                }
            }
            emittedBefore[f] = true;
            for (int g = 0; g < groups; g++) {
                add(sums[groupOutput[g]], parts[g]);
                groupOf[groupOutput[g]] = -1;
            }
        }
        final float[] tokens = new float[m * d];
        final float[] meanRow = new float[m];
        final float[] meanCol = new float[m];
        for (int j = 0; j < m; j++) {
            final double scale = 1.0 / (merged[j] + 1.0);
            final float[] retained = retainedOf[slots[j]];
            final double[] sum = sums[j];
            for (int q = 0; q < d; q++) {
                tokens[j * d + q] = (float) ((retained[q] + sum[q]) * scale);
            }
            if (merged[j] > 0) {
                meanRow[j] = (float) (rowSum[j] / merged[j]);
                meanCol[j] = (float) (colSum[j] / merged[j]);
            } else {
                first[j] = memberFirst[j];
                last[j] = memberLast[j];
                meanRow[j] = (float) (memberRow[j] / memberTokens[j]);
                meanCol[j] = (float) (memberCol[j] / memberTokens[j]);
            }
        }
        return new WindowResult(frames, n, d, seqs, tokens, spatialCounts, spatialLabels, temporal, assignment,
                merged, first, last, meanRow, meanCol, System.nanoTime() - started);
    }

    /**
     * Partial sums of ring frame f's tokens per group ({@link #group}, {@code groups} groups) in
     * {@link #groupSums}, from the float64 sums of the frame's spatial components (spatial step): a
     * component whose tokens are all in one group adds its sum there; for a component split over
     * groups, the group with most of its tokens gets the component's sum less its other tokens, which
     * are added to their groups one by one.
     */
    private double[][] groupSums(final int f, final int groups) {
        if (groupSums.length < groups) {
            final int had = groupSums.length;
            groupSums = Arrays.copyOf(groupSums, groups);
            for (int g = had; g < groups; g++) {
                groupSums[g] = new double[d];
            }
        }
        final double[][] part = groupSums;
        for (int g = 0; g < groups; g++) {
            Arrays.fill(part[g], 0.0);
        }
        final SpatialFrame sf = spatial[f];
        final int[] labels = sf.labels;
        final int split = -2;
        Arrays.fill(componentGroup, 0, sf.count, -1);
        for (int i = 0; i < n; i++) {
            final int l = labels[i];
            if (componentGroup[l] == -1) {
                componentGroup[l] = group[i];
            } else if (componentGroup[l] != group[i]) {
                componentGroup[l] = split;
            }
        }
        for (int l = 0; l < sf.count; l++) {
            if (componentGroup[l] >= 0) {
                add(part[componentGroup[l]], sf.sums[l]);
            } else {
                int major = 0;
                for (int i = 0; i < n; i++) {
                    if (labels[i] == l && ++groupTokens[group[i]] > groupTokens[major]) {
                        major = group[i];
                    }
                }
                System.arraycopy(sf.sums[l], 0, rest, 0, d);
                for (int i = 0; i < n; i++) {
                    if (labels[i] == l) {
                        groupTokens[group[i]] = 0;
                        if (group[i] != major) {
                            final int src = (f * n + i) * d;
                            for (int q = 0; q < d; q++) {
                                token[q] = x[src + q];
                            }
                            add(part[group[i]], token);
                            for (int q = 0; q < d; q++) {
                                rest[q] -= token[q];
                            }
                        }
                    }
                }
                add(part[major], rest);
            }
        }
        return part;
    }

    private static void add(final double[] sum, final double[] v) {
        for (int q = 0; q < sum.length; q++) {
            sum[q] += v[q];
        }
    }

    /** Keeps frame f's grouping and the partial sums just computed, for the next emit. */
    private void remember(final int f, final int groups) {
        double[][] part = frameSums[f];
        if (part == null || part.length < groups) {
            final int had = part == null ? 0 : part.length;
            part = part == null ? new double[groups][] : Arrays.copyOf(part, groups);
            for (int g = had; g < groups; g++) {
                part[g] = new double[d];
            }
            frameSums[f] = part;
        }
        for (int g = 0; g < groups; g++) {
            System.arraycopy(groupSums[g], 0, part[g], 0, d);
        }
        System.arraycopy(group, 0, frameGroups[f], 0, n);
        frameGroupCount[f] = groups;
    }

    /** m zeroed float64 rows of D. */
    private double[][] outputSums(final int m) {
        if (outputSums.length < m) {
            final int had = outputSums.length;
            outputSums = Arrays.copyOf(outputSums, Math.max(m, had + had / 2));
            for (int j = had; j < outputSums.length; j++) {
                outputSums[j] = new double[d];
            }
        }
        for (int j = 0; j < m; j++) {
            Arrays.fill(outputSums[j], 0.0);
        }
        return outputSums;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void ensureSpatialBuffers(final int s) {
        if (frameOf.length < s) {
            frameOf = new int[s];
            localOf = new int[s];
            degree = new int[s];
        }
    }

    /** The length of a work array, or a clear error when the window needs more than an array holds. */
    private static int arrayLength(final long size) {
        if (size > MAX_ARRAY) {
            throw new IllegalStateException("this window needs a work array of " + size + " elements, more than a "
                    + "Java array holds; use fewer frames per window or fewer tokens per frame");
        }
        return (int) size;
    }

    private void ensureSlots(final int needed) {
        if (needed > slotCapacity) {
            arrayLength((long) needed * ringRows);
            final int cap = (int) Math.min(Math.max(needed, slotCapacity + slotCapacity / 2),
                    MAX_ARRAY / ringRows);
            cols = Arrays.copyOf(cols, cap * ringRows);
            retainedOf = Arrays.copyOf(retainedOf, cap);
            retainedNOf = Arrays.copyOf(retainedNOf, cap);
            retainedNorm = Arrays.copyOf(retainedNorm, cap);
            for (int sl = slotCapacity; sl < cap; sl++) {
                retainedOf[sl] = new float[d];
                retainedNOf[sl] = new float[d];
            }
            slotCapacity = cap;
        }
        if (slotTaken.length < slotCapacity) {
            slotTaken = new boolean[slotCapacity];
        }
    }
}
