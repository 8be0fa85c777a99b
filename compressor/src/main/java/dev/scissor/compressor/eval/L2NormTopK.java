package dev.scissor.compressor.eval;

/**
 * L2-norm top-k (PEERS.md U4, the paper's "L2Norm" row): the K tokens of the window with the largest
 * L2 norm (ties to the lower index), emitted in original order. Ranked over the whole window, not per
 * frame.
 */
public final class L2NormTopK implements Method {

    @Override
    public String name() {
        return "l2norm";
    }

    @Override
    public Kind kind() {
        return Kind.SELECT;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int n = frames * tokens;
        final double[] score = new double[n];
        for (int i = 0; i < n; i++) {
            score[i] = Tokens.norm(video, i, dim);
        }
        return Tokens.select(video, dim, Tokens.topK(score, target), "");
    }
}
