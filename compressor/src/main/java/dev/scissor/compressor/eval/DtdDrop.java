package dev.scissor.compressor.eval;

/**
 * TimeChat-Online Differential Token Drop (PEERS.md A1), feature mode, at a token count.
 *
 * <p>Frame 0 of the window is kept whole; every token of a later frame t is scored by
 * 1 - cos(x[t-1][i], x[t][i]) (same spatial slot, against ALL tokens of frame t-1, as in DTD) and the
 * K - N most changed tokens of the window are kept (ties to the lower index), in original order.
 *
 * <p>Approximations: DTD proper drops by an absolute threshold (cos &gt; 0.5) or a per-frame ratio;
 * to hit K this ranks the scores over the whole window (EVS-style global ranking). When K &lt; N even
 * frame 0 cannot be kept whole: then K evenly spaced tokens of frame 0 are kept (PEERS.md U2) and no
 * later token is.
 */
public final class DtdDrop implements Method {

    @Override
    public String name() {
        return "dtd";
    }

    @Override
    public Kind kind() {
        return Kind.SELECT;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final int n = frames * tokens;
        final int k = Math.min(target, n);
        if (k <= tokens) {
            return Tokens.select(video, dim, Tokens.evenlySpaced(tokens, k), "frame 0 only");
        }
        final double[] score = new double[n];
        for (int i = 0; i < tokens; i++) {
            score[i] = Double.POSITIVE_INFINITY;
        }
        for (int i = tokens; i < n; i++) {
            score[i] = 1.0 - Tokens.cos(video, i - tokens, video, i, dim);
        }
        return Tokens.select(video, dim, Tokens.topK(score, k), "");
    }
}
