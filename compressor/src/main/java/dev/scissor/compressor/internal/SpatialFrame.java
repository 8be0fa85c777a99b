package dev.scissor.compressor.internal;

/**
 * The spatial SCC result of one frame: its component tokens (plain means) with their float64 sums,
 * their float32 normalisations and double norms, and the component label of every input token.
 */
public final class SpatialFrame {

    /** Number of spatial components (tokens). */
    public final int count;
    /** Component index (output order) of each of the frame's N tokens. */
    public final int[] labels;
    /** Component means, [count, D] row-major. */
    public final float[] tokens;
    /** Float64 sums of each component's input tokens (the means' numerators), [count][D]. */
    public final double[][] sums;
    /** Float32 L2-normalised component means, [count, D]. */
    public final float[] normalized;
    /** Double L2 norms of the component means. */
    public final double[] norms;
    /** Float32 L2 norms of the frame's N input tokens (0 for a zero-norm token). */
    public final float[] inputNorms;

    public SpatialFrame(
            final int count,
            final int[] labels,
            final float[] tokens,
            final double[][] sums,
            final float[] normalized,
            final double[] norms,
            final float[] inputNorms) {
        this.count = count;
        this.labels = labels;
        this.tokens = tokens;
        this.sums = sums;
        this.normalized = normalized;
        this.norms = norms;
        this.inputNorms = inputNorms;
    }
}
