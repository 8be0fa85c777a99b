package dev.scissor.compressor;

/**
 * One compressed window: the output tokens in the algorithm's order and, for each, what it covers.
 *
 * <p>Token j is row j of {@link #tokens()} ([M, D] row-major). Every original token of the window is
 * assigned to exactly one output token by the merge step; {@link #mergedCounts()}, the frame span and
 * the mean grid position of token j describe the original tokens assigned to it (or, for a token that
 * no original token chose, the original tokens of its own component).
 *
 * @param frames T, frames in the window
 * @param tokensPerFrame N
 * @param dim D
 * @param frameSeqs sequence number of each frame, [T]
 * @param tokens output tokens, [M, D]
 * @param spatialCounts spatial tokens per frame, [T]
 * @param spatialLabels spatial component of each input token (index within its frame), [T, N]
 * @param temporalLabels output token of each spatial token, [S]
 * @param assignment output token each input token was merged into, [T, N]
 * @param mergedCounts original tokens merged into each output token, [M]
 * @param firstFrameSeq first frame each output token covers, [M]
 * @param lastFrameSeq last frame each output token covers, [M]
 * @param meanRow mean grid row of what each output token covers, [M]
 * @param meanCol mean grid column, [M]
 * @param computeNanos time spent computing this window (the emit step; spatial steps excluded)
 */
public record WindowResult(
        int frames,
        int tokensPerFrame,
        int dim,
        long[] frameSeqs,
        float[] tokens,
        int[] spatialCounts,
        int[] spatialLabels,
        int[] temporalLabels,
        int[] assignment,
        int[] mergedCounts,
        long[] firstFrameSeq,
        long[] lastFrameSeq,
        float[] meanRow,
        float[] meanCol,
        long computeNanos) {

    /** M, the number of output tokens. */
    public int tokenCount() {
        return mergedCounts.length;
    }

    /** T * N, the number of input tokens. */
    public int inputTokens() {
        return frames * tokensPerFrame;
    }

    /** S, the number of spatial tokens. */
    public int spatialTokens() {
        return temporalLabels.length;
    }

    /** M / (T * N). */
    public double retention() {
        return inputTokens() == 0 ? 0.0 : (double) tokenCount() / inputTokens();
    }
}
