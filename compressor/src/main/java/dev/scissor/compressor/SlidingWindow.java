package dev.scissor.compressor;

import dev.scissor.compressor.internal.Bits;
import dev.scissor.compressor.internal.Components;
import dev.scissor.compressor.internal.Exact;
import dev.scissor.compressor.internal.Gemm;
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
 * threshold edges in classic mode, values in budget mode), and, when a window is emitted, the
 * merge-step similarities of the new frames' tokens plus those of components whose member set
 * changed (cached per component). Components are read from the cached edges.
 *
 * <p>Output equals the batch computation on the same frames ({@link Scissor#compress}, which is a
 * window of W = T fed once): threshold and argmax decisions are certified against float64 (see
 * {@code Exact}), so they do not depend on the shape of the BLAS calls that produced them, and
 * every value is computed from the same inputs in the same order.
 *
 * <p>Not thread-safe; one window per stream. Frames must be finite and arrive with increasing
 * sequence numbers.
 */
public final class SlidingWindow {

    private final ScissorParams params;
    private final SampleOrders orders;
    private final int n;
    private final int d;
    private final int gridWidth;
    private final int capacity;
    private final int hop;
    private final boolean budgetMode;

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
    private float[] simTmp = new float[0];

    private final SpatialScc scc = new SpatialScc();
    private final Components components = new Components();
    private final SingleLinkageCut cut = new SingleLinkageCut();

    // Merge-column cache: column of component slot s at cols[s * ringRows + ringRow].
    private final int ringRows;
    private float[] cols = new float[0];
    private int slotCapacity;
    private SlotTable previous = new SlotTable();
    private SlotTable current = new SlotTable();
    private int previousCount;
    private boolean[] slotTaken = new boolean[0];

    // Work buffers.
    private long[] globalBits = new long[0];
    private int[] degree = new int[0];
    private int[] frameOf = new int[0];
    private int[] localOf = new int[0];
    private double[] acc = new double[0];
    private float[] gather = new float[0];
    private float[] product = new float[0];
    private float[] bestV;
    private int[] bestJ;
    private int[] candidates;
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
        this.ringRows = (int) ring;
        this.x = new float[(int) (ring * dim)];
        this.xNorm = new double[(int) ring];
        this.seq = new long[windowFrames];
        this.spatial = new SpatialFrame[windowFrames];
        this.edgeBlocks = budgetMode ? null : new long[windowFrames * windowFrames][];
        this.simBlocks = budgetMode ? new float[windowFrames * windowFrames][] : null;
        this.bestV = new float[ringRows];
        this.bestJ = new int[ringRows];
        this.candidates = new int[ringRows];
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
        for (int i = 0; i < len; i++) {
            if (!Float.isFinite(tokens[off + i])) {
                throw new IllegalArgumentException("frame " + frameSeq + " has a non-finite value at token "
                        + (i / d) + ", dim " + (i % d));
            }
        }
        if (count > 0 && frameSeq <= seq[(head + count - 1) % capacity]) {
            throw new IllegalArgumentException("frame sequence " + frameSeq + " does not follow "
                    + seq[(head + count - 1) % capacity]);
        }
        if (count == capacity) {
            head = (head + 1) % capacity;
            count--;
        }
        final int slot = (head + count) % capacity;
        System.arraycopy(tokens, off, x, slot * len, len);
        final long t0 = System.nanoTime();
        spatial[slot] = scc.compute(x, slot * len, n, d, params, orders, frameSeq);
        for (int r = 0; r < n; r++) {
            xNorm[slot * n + r] = spatial[slot].inputNorms[r];
        }
        seq[slot] = frameSeq;
        count++;
        final long t1 = System.nanoTime();
        for (int t = 0; t < count; t++) {
            pair(slot, (head + t) % capacity);
        }
        spatialNanos += t1 - t0;
        temporalNanos += System.nanoTime() - t1;
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

    /** Similarities of frame f's spatial tokens (the newest) against frame g's. */
    private void pair(final int f, final int g) {
        final SpatialFrame pf = spatial[f];
        final SpatialFrame pg = spatial[g];
        final int sf = pf.count;
        final int sg = pg.count;
        final int block = f * capacity + g;
        if (budgetMode) {
            float[] s = simBlocks[block];
            if (s == null || s.length < sf * sg) {
                s = new float[Math.max(sf * sg, 1)];
                simBlocks[block] = s;
            }
            Gemm.abt(sf, sg, d, pf.normalized, 0, d, pg.normalized, 0, d, s, 0, sg);
            return;
        }
        if (simTmp.length < sf * sg) {
            simTmp = new float[sf * sg];
        }
        Gemm.abt(sf, sg, d, pf.normalized, 0, d, pg.normalized, 0, d, simTmp, 0, sg);
        final int wg = Bits.words(sg);
        final int wf = Bits.words(sf);
        final long[] fg = edgeBlock(block, sf * wg);
        final long[] gf = f == g ? fg : edgeBlock(g * capacity + f, sg * wf);
        final double tau = params.tau();
        for (int i = 0; i < sf; i++) {
            if (pf.norms[i] == 0.0) {
                continue;
            }
            for (int j = f == g ? i : 0; j < sg; j++) {
                if (pg.norms[j] == 0.0) {
                    continue;
                }
                final double v = simTmp[i * sg + j];
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

        // Retained tokens R: plain means of member spatial tokens, ascending global order.
        final float[] retained = new float[m * d];
        final int[] memberCount = new int[m];
        final long[] hashA = new long[m];
        final long[] hashB = new long[m];
        ensureAcc(m);
        Arrays.fill(acc, 0, m * d, 0.0);
        for (int u = 0; u < s; u++) {
            final int j = temporal[u];
            final SpatialFrame sf = spatial[slotOf[frameOf[u]]];
            final int src = localOf[u] * d;
            final int dst = j * d;
            for (int i = 0; i < d; i++) {
                acc[dst + i] += sf.tokens[src + i];
            }
            memberCount[j]++;
            final long id = mix(seqs[frameOf[u]] * 0x10001L + localOf[u]);
            hashA[j] = hashA[j] * 0x9E3779B97F4A7C15L + id;
            hashB[j] = (hashB[j] ^ id) * 0xC2B2AE3D27D4EB4FL + 1;
        }
        for (int j = 0; j < m; j++) {
            final double c = memberCount[j];
            for (int i = 0; i < d; i++) {
                retained[j * d + i] = (float) (acc[j * d + i] / c);
            }
        }
        final float[] retainedN = new float[m * d];
        final double[] retainedNorm = new double[m];
        Exact.normalizeRows(retained, 0, m, d, retainedN, 0, retainedNorm, 0);

        final int[] slots = mergeColumns(frames, m, retainedN, hashA, hashB);
        final int[] assignment = assign(frames, slotOf, m, slots, retained, retainedNorm);
        final WindowResult out = finish(frames, slotOf, offset, seqs, spatialCounts, temporal, m, retained,
                assignment, started);
        sinceEmit = 0;
        emitted = true;
        return out;
    }

    private int thresholdComponents(final int frames, final int[] slotOf, final int[] offset, final int s,
                                    final int[] temporal) {
        final int words = Bits.words(s);
        if (globalBits.length < s * words) {
            globalBits = new long[s * words];
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
        final int k = params.budget().tokensFor((long) frames * n);
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
     * Brings the merge-step column of every component up to date for every live ring row: columns of
     * components seen at the previous emit get the new frames' rows, others are computed whole.
     * Returns the slot of each component.
     */
    private int[] mergeColumns(final int frames, final int m, final float[] retainedN, final long[] hashA,
                               final long[] hashB) {
        final int newFrames = emitted ? Math.min(sinceEmit, frames) : frames;
        final int[] slots = new int[m];
        ensureSlots(m + previousCount);
        Arrays.fill(slotTaken, false);
        int reused = 0;
        for (int j = 0; j < m; j++) {
            final int sl = newFrames < frames ? previous.get(hashA[j], hashB[j]) : -1;
            slots[j] = sl;
            if (sl >= 0) {
                slotTaken[sl] = true;
                reused++;
            }
        }
        int free = 0;
        final int changed = m - reused;
        final int[] changedIdx = new int[changed];
        final int[] unchangedIdx = new int[reused];
        int c = 0;
        int u = 0;
        for (int j = 0; j < m; j++) {
            if (slots[j] < 0) {
                while (slotTaken[free]) {
                    free++;
                }
                slots[j] = free;
                slotTaken[free] = true;
                changedIdx[c++] = j;
            } else {
                unchangedIdx[u++] = j;
            }
        }
        // Changed components: every live row.
        computeColumns(changedIdx, slots, retainedN, 0, frames);
        // Unchanged: only the rows of frames pushed since the previous emit.
        computeColumns(unchangedIdx, slots, retainedN, frames - newFrames, frames);

        final SlotTable t = previous;
        previous = current;
        current = t;
        previous.clear(m);
        for (int j = 0; j < m; j++) {
            previous.put(hashA[j], hashB[j], slots[j]);
        }
        previousCount = m;
        return slots;
    }

    /** Columns {@code idx} for the ring rows of window frames [fromFrame, toFrame). */
    private void computeColumns(final int[] idx, final int[] slots, final float[] retainedN,
                                final int fromFrame, final int toFrame) {
        final int k = idx.length;
        if (k == 0 || fromFrame >= toFrame) {
            return;
        }
        if (gather.length < k * d) {
            gather = new float[k * d];
        }
        for (int c = 0; c < k; c++) {
            System.arraycopy(retainedN, idx[c] * d, gather, c * d, d);
        }
        // Live frames [from, to) occupy ring slots head+from .. head+to-1 (mod W): at most two runs.
        int f = fromFrame;
        while (f < toFrame) {
            final int startSlot = (head + f) % capacity;
            final int run = Math.min(toFrame - f, capacity - startSlot);
            final int r0 = startSlot * n;
            final int rows = run * n;
            if (product.length < k * rows) {
                product = new float[k * rows];
            }
            Gemm.abt(k, rows, d, gather, 0, d, x, r0 * d, d, product, 0, rows);
            for (int c = 0; c < k; c++) {
                System.arraycopy(product, c * rows, cols, slots[idx[c]] * ringRows + r0, rows);
            }
            f += run;
        }
    }

    /** Certified argmax of every live original token over the retained tokens. */
    private int[] assign(final int frames, final int[] slotOf, final int m, final int[] slots,
                         final float[] retained, final double[] retainedNorm) {
        for (int t = 0; t < frames; t++) {
            final int r0 = slotOf[t] * n;
            Arrays.fill(bestV, r0, r0 + n, Float.NEGATIVE_INFINITY);
            Arrays.fill(bestJ, r0, r0 + n, 0);
            Arrays.fill(candidates, r0, r0 + n, 0);
        }
        for (int j = 0; j < m; j++) {
            final int base = slots[j] * ringRows;
            for (int t = 0; t < frames; t++) {
                final int r0 = slotOf[t] * n;
                for (int r = r0; r < r0 + n; r++) {
                    final float v = cols[base + r];
                    if (v > bestV[r]) {
                        bestV[r] = v;
                        bestJ[r] = j;
                    }
                }
            }
        }
        for (int j = 0; j < m; j++) {
            final int base = slots[j] * ringRows;
            for (int t = 0; t < frames; t++) {
                final int r0 = slotOf[t] * n;
                for (int r = r0; r < r0 + n; r++) {
                    if (cols[base + r] >= bestV[r] - 2.0 * cosErr * xNorm[r]) {
                        candidates[r]++;
                    }
                }
            }
        }
        final int[] assignment = new int[frames * n];
        for (int t = 0; t < frames; t++) {
            final int r0 = slotOf[t] * n;
            for (int i = 0; i < n; i++) {
                final int r = r0 + i;
                int best = bestJ[r];
                if (xNorm[r] == 0.0) {
                    best = 0; // cosine 0 with every retained token: the lowest index wins
                } else if (candidates[r] > 1) {
                    best = exactArgmax(r, m, slots, retained, retainedNorm);
                }
                assignment[t * n + i] = best;
            }
        }
        return assignment;
    }

    private int exactArgmax(final int r, final int m, final int[] slots, final float[] retained,
                            final double[] retainedNorm) {
        final double floor = bestV[r] - 2.0 * cosErr * xNorm[r];
        final double exact = Exact.norm(x, r * d, d);
        int best = -1;
        double bestCos = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < m; j++) {
            if (cols[slots[j] * ringRows + r] >= floor) {
                final double c = Exact.cosine(x, r * d, exact, retained, j * d, retainedNorm[j], d);
                if (c > bestCos) {
                    bestCos = c;
                    best = j;
                }
            }
        }
        return best;
    }

    private WindowResult finish(final int frames, final int[] slotOf, final int[] offset, final long[] seqs,
                                final int[] spatialCounts, final int[] temporal, final int m, final float[] retained,
                                final int[] assignment, final long started) {
        ensureAcc(m);
        Arrays.fill(acc, 0, m * d, 0.0);
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
        final int[] spatialLabels = new int[frames * n];
        for (int t = 0; t < frames; t++) {
            final SpatialFrame sf = spatial[slotOf[t]];
            System.arraycopy(sf.labels, 0, spatialLabels, t * n, n);
            for (int i = 0; i < n; i++) {
                final int j = assignment[t * n + i];
                final int src = (slotOf[t] * n + i) * d;
                final int dst = j * d;
                for (int q = 0; q < d; q++) {
                    acc[dst + q] += x[src + q];
                }
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
        }
        final float[] tokens = new float[m * d];
        final float[] meanRow = new float[m];
        final float[] meanCol = new float[m];
        for (int j = 0; j < m; j++) {
            final double div = merged[j] + 1.0;
            for (int q = 0; q < d; q++) {
                tokens[j * d + q] = (float) ((retained[j * d + q] + acc[j * d + q]) / div);
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

    private void ensureAcc(final int m) {
        if (acc.length < m * d) {
            acc = new double[m * d];
        }
    }

    private void ensureSlots(final int needed) {
        if (needed > slotCapacity) {
            final int cap = Math.max(needed, slotCapacity + slotCapacity / 2);
            cols = Arrays.copyOf(cols, cap * ringRows);
            slotCapacity = cap;
        }
        if (slotTaken.length < slotCapacity) {
            slotTaken = new boolean[slotCapacity];
        }
    }
}
