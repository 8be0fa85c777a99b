package dev.scissor.compressor.steps;

import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.internal.SpatialFrame;
import java.util.Arrays;

/**
 * The merge step's output: retained token j becomes {@code (R_j + sum of the tokens assigned to j) /
 * (count_j + 1)} (ALGORITHM.md decision 6), with what each output token covers.
 *
 * <p>Sums are float64, per frame first (one partial sum per group of the frame's tokens with the same
 * output token), then over frames in order. Per ring frame the step keeps whether it was in an emitted
 * window and, from its second emit on, the grouping of its tokens by output token (groups numbered in
 * order of first appearance; count -1 when stale) with the partial sum of each group, reused while the
 * grouping is unchanged.
 */
public final class MergeOutput {

    private final FrameRing ring;
    private final int n;
    private final int d;
    private final int gridWidth;
    private final boolean[] emittedBefore;
    private final int[][] frameGroups;
    private final int[] frameGroupCount;
    private final double[][][] frameSums;

    private int[] groupOf = new int[0];
    private final int[] groupOutput;
    private final int[] group;
    private final int[] componentGroup;
    private final int[] groupTokens;
    private final double[] rest;
    private final double[] token;
    private double[][] outputSums = new double[0][];
    private double[][] groupSums = new double[0][];

    /**
     * Creates the step of a window.
     *
     * @param ring the window's frames
     * @param gridWidth width of the frames' token grid, for token positions
     */
    public MergeOutput(final FrameRing ring, final int gridWidth) {
        this.ring = ring;
        this.n = ring.n;
        this.d = ring.d;
        this.gridWidth = gridWidth;
        this.emittedBefore = new boolean[ring.capacity];
        this.frameGroups = new int[ring.capacity][n];
        this.frameGroupCount = new int[ring.capacity];
        this.frameSums = new double[ring.capacity][][];
        this.groupOutput = new int[n];
        this.group = new int[n];
        this.componentGroup = new int[n];
        this.groupTokens = new int[n];
        this.rest = new double[d];
        this.token = new double[d];
    }

    /**
     * Forgets the cached sums of a ring slot that just took a new frame.
     *
     * @param slot the ring slot
     */
    public void added(final int slot) {
        frameGroupCount[slot] = -1;
        emittedBefore[slot] = false;
    }

    /**
     * Output tokens and coverage of the window.
     *
     * @param window the window's frames
     * @param temporal the component of each global spatial token, [S]
     * @param m M
     * @param columns the merge step's retained tokens
     * @param slots the cache slot of each component in {@code columns}
     * @param assignment the component each original token is merged into, [T * N]
     * @param started when the emit started ({@link System#nanoTime()})
     * @return the compressed window
     */
    public WindowResult finish(
            final WindowLayout window,
            final int[] temporal,
            final int m,
            final MergeColumns columns,
            final int[] slots,
            final int[] assignment,
            final long started) {
        final int frames = window.frames;
        final int[] slotOf = window.slotOf;
        final int[] offset = window.offset;
        final long[] seqs = window.seqs;
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
            final SpatialFrame sf = ring.spatial[f];
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
            final float[] retained = columns.retained(slots[j]);
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
        return new WindowResult(
                frames,
                n,
                d,
                seqs,
                tokens,
                window.spatialCounts,
                spatialLabels,
                temporal,
                assignment,
                merged,
                first,
                last,
                meanRow,
                meanCol,
                System.nanoTime() - started);
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
        final SpatialFrame sf = ring.spatial[f];
        final int[] labels = sf.labels;
        final float[] x = ring.x;
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
}
