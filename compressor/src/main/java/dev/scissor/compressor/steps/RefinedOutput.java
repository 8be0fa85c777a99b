package dev.scissor.compressor.steps;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.internal.Refinement;
import java.util.Arrays;

/**
 * The refined mode's output (see {@link ScissorParams.Mode#REFINED}): the window's T * N tokens
 * regrouped by a {@link Refinement} from the classic components. It is a function of the window's
 * tokens and those components only; nothing is carried between emits.
 */
public final class RefinedOutput {

    private final FrameRing ring;
    private final ScissorParams params;
    private final int gridWidth;
    private final Refinement refinement = new Refinement();
    private float[] windowTokens = new float[0];

    /**
     * Creates the step of a window.
     *
     * @param ring the window's frames
     * @param params the budget K
     * @param gridWidth width of the frames' token grid, for token positions
     */
    public RefinedOutput(final FrameRing ring, final ScissorParams params, final int gridWidth) {
        this.ring = ring;
        this.params = params;
        this.gridWidth = gridWidth;
    }

    /**
     * Regroups a classic result. Spatial counts and labels are the classic ones; the temporal label
     * of a spatial token is the output token of its first member; an output token that no original
     * token chose (an emptied cluster keeps its previous mean) takes its span and position from its
     * first token when it last had members.
     *
     * @param window the window's frames
     * @param classic the classic budget mode's result on them
     * @param started when the emit started ({@link System#nanoTime()})
     * @return the refined window
     */
    public WindowResult refine(final WindowLayout window, final WindowResult classic, final long started) {
        final int n = ring.n;
        final int d = ring.d;
        final int[] slotOf = window.slotOf;
        final int[] offset = window.offset;
        final int frames = classic.frames();
        final int rows = frames * n;
        if (windowTokens.length < rows * d) {
            windowTokens = new float[rows * d];
        }
        for (int t = 0; t < frames; t++) {
            System.arraycopy(ring.x, slotOf[t] * n * d, windowTokens, t * n * d, n * d);
        }
        final int[] spatialLabels = classic.spatialLabels();
        final int[] temporal = classic.temporalLabels();
        final int[] initial = new int[rows];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < n; i++) {
                initial[t * n + i] = temporal[offset[t] + spatialLabels[t * n + i]];
            }
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
        return new WindowResult(
                frames,
                n,
                d,
                seqs,
                r.tokens,
                classic.spatialCounts(),
                spatialLabels,
                newTemporal,
                r.labels,
                merged,
                first,
                last,
                meanRow,
                meanCol,
                System.nanoTime() - started);
    }
}
