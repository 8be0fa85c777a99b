package dev.scissor.compressor.steps;

import dev.scissor.compressor.internal.Exact;
import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.SlotTable;
import java.util.Arrays;

/**
 * The merge step's argmax: the retained token R of every component (the plain mean of its member
 * spatial tokens) and the component of highest cosine for every original token of the window, ties
 * to the lowest index (ALGORITHM.md decision 6).
 *
 * <p>Per cache slot the step keeps a retained token, its normalisation and norm, and its merge column
 * (the similarity of every ring row's token with the normalised retained token). A component with the
 * member set of one at the previous emit (a 128-bit hash of the member set identifies it) keeps its
 * slot, so only the rows of frames added since then are computed for it.
 */
public final class MergeColumns {

    private static final int ROW_BLOCK = 1024;

    private final FrameRing ring;
    private final int n;
    private final int d;
    private final int ringRows;
    private final float cosErr;
    // Slot s's merge column is at cols[s * ringRows + row].
    private float[] cols = new float[0];
    private float[][] retainedOf = new float[0][];
    private float[][] retainedNOf = new float[0][];
    private double[] retainedNorm = new double[0];
    private int slotCapacity;
    private SlotTable previous = new SlotTable();
    private SlotTable current = new SlotTable();
    private boolean[] slotTaken = new boolean[0];
    private boolean[] newSlot = new boolean[0];

    private final double[] rowAcc;
    private float[] gather = new float[0];
    private float[] product = new float[0];
    private final float[] bestV;
    private final float[] secondV;
    private final float[] colBlock = new float[ROW_BLOCK];
    private final float[] blockBest = new float[ROW_BLOCK];
    private final float[] blockSecond = new float[ROW_BLOCK];
    private final int[] hint;

    /**
     * Creates the step of a window.
     *
     * @param ring the window's frames
     */
    public MergeColumns(final FrameRing ring) {
        this.ring = ring;
        this.n = ring.n;
        this.d = ring.d;
        this.ringRows = ring.rows;
        this.cosErr = Exact.cosineErrorBound(ring.d) * 1.01f; // |X_i| is known to float32 accuracy
        this.rowAcc = new double[d];
        this.bestV = new float[ringRows];
        this.secondV = new float[ringRows];
        this.hint = new int[n];
    }

    /** The retained token of a cache slot, [D]. */
    float[] retained(final int slot) {
        return retainedOf[slot];
    }

    /**
     * Gives each of the window's M components a cache slot with its retained token and a merge column
     * that covers every frame of the window.
     *
     * @param window the window's frames
     * @param temporal the component of each global spatial token, [S]
     * @param m M
     * @param newFrames frames added since the previous emit (T at the first emit): the only ones whose
     *     rows a reused slot's column lacks
     * @return the cache slot of each component, [M]
     */
    public int[] columns(final WindowLayout window, final int[] temporal, final int m, final int newFrames) {
        final int frames = window.frames;
        final int s = window.tokens;
        final long[] hashA = new long[m];
        final long[] hashB = new long[m];
        final int[] memberStart = new int[m + 1];
        for (int u = 0; u < s; u++) {
            final int j = temporal[u];
            memberStart[j + 1]++;
            final long id = mix(window.seqs[window.frameOf[u]] * 0x10001L + window.localOf[u]);
            hashA[j] = hashA[j] * 0x9E3779B97F4A7C15L + id;
            hashB[j] = (hashB[j] ^ id) * 0xC2B2AE3D27D4EB4FL + 1;
        }
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
        retainedTokens(window, temporal, memberStart, changedIdx, slots);
        // Changed components: every live row. Unchanged: only the rows of frames pushed since the previous emit.
        computeColumns(changedIdx, slots, 0, frames);
        computeColumns(unchangedIdx, slots, frames - newFrames, frames);
        return slots;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
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

    private void ensureSlots(final int needed) {
        if (needed > slotCapacity) {
            WorkArrays.length((long) needed * ringRows);
            final int cap =
                    (int) Math.min(Math.max(needed, slotCapacity + slotCapacity / 2), WorkArrays.MAX_ARRAY / ringRows);
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

    /**
     * Retained tokens R of components {@code idx} into their slots: plain means of the member spatial
     * tokens in ascending global order, their float32 normalisations and double norms.
     * {@code memberStart[j + 1]} holds component j's member count and is made cumulative here.
     */
    private void retainedTokens(
            final WindowLayout window,
            final int[] temporal,
            final int[] memberStart,
            final int[] idx,
            final int[] slots) {
        final int m = memberStart.length - 1;
        final int s = window.tokens;
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
                final float[] tokens = ring.spatial[window.slotOf[window.frameOf[u]]].tokens;
                final int src = window.localOf[u] * d;
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
        final int capacity = ring.capacity;
        final float[] x = ring.x;
        int f = fromFrame;
        while (f < toFrame) {
            final int startSlot = ring.slot(f);
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
     *
     * @param window the window's frames
     * @param temporal the component of each global spatial token, [S]
     * @param m M
     * @param slots the cache slot of each component, from {@link #columns}
     * @return the component each original token is merged into, [T * N]
     */
    public int[] assign(final WindowLayout window, final int[] temporal, final int m, final int[] slots) {
        final int frames = window.frames;
        final int[] slotOf = window.slotOf;
        final int[] offset = window.offset;
        final int capacity = ring.capacity;
        final double[] xNorm = ring.xNorm;
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
            final int[] labels = ring.spatial[slotOf[t]].labels;
            System.arraycopy(temporal, offset[t], hint, 0, offset[t + 1] - offset[t]);
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
        final float[] x = ring.x;
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
}
