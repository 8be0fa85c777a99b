package dev.scissor.compressor.eval;

import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;

/**
 * LLaVA-Scissor in the refined mode ({@link ScissorParams.Mode#REFINED}): classic budget mode to
 * K / 2 components, then splits of the cluster with the largest total cosine distance and 2-4
 * assignment/mean iterations (more for a smaller K), to exactly K tokens (K &le; T * N).
 */
public final class ScissorRefined implements Method {

    private final ScissorParams base;

    /** With the paper's tau 0.9 and epsilon 0.05. */
    public ScissorRefined() {
        this(ScissorParams.defaults());
    }

    /** With the given tau (spatial step), epsilon and seed. */
    public ScissorRefined(final ScissorParams base) {
        this.base = base;
    }

    @Override
    public String name() {
        return "refined";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final ScissorParams p =
                base.withBudget(ScissorParams.Budget.tokens(target)).withMode(ScissorParams.Mode.REFINED);
        final WindowResult r = Scissor.compress(video, frames, tokens, dim, p);
        return new Reduction(r.tokenCount(), r.tokens(), r.assignment(), "");
    }
}
