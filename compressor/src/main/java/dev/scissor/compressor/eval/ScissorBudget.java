package dev.scissor.compressor.eval;

import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;

/**
 * LLaVA-Scissor in the project's budget mode (ALGORITHM.md §1.1 decision 8): spatial SCC at tau,
 * then a single-linkage cut of the temporal graph to exactly K tokens, then the merge step.
 *
 * <p>If the spatial step leaves fewer than K tokens (budget mode only merges), the window is
 * compressed again with tau = 1 (no spatial merging), which gives exactly K whenever K &le; T * N.
 */
public final class ScissorBudget implements Method {

    private final ScissorParams base;

    /** With the paper's tau 0.9 and epsilon 0.05. */
    public ScissorBudget() {
        this(ScissorParams.defaults());
    }

    /** With the given tau (spatial step), epsilon and seed. */
    public ScissorBudget(final ScissorParams base) {
        this.base = base;
    }

    @Override
    public String name() {
        return "scissor-budget";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final ScissorParams p = base.withBudget(ScissorParams.Budget.tokens(target));
        WindowResult r = Scissor.compress(video, frames, tokens, dim, p);
        String note = "";
        if (r.tokenCount() < target) {
            r = Scissor.compress(video, frames, tokens, dim, p.withTau(1.0));
            note = "spatial tau=1";
        }
        return new Reduction(r.tokenCount(), r.tokens(), r.assignment(), note);
    }
}
