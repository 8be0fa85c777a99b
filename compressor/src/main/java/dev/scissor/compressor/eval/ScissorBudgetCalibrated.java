package dev.scissor.compressor.eval;

import dev.scissor.compressor.ScissorParams;

/**
 * LLaVA-Scissor budget mode with the spatial tau calibrated to the budget
 * ({@link ScissorParams#calibratedSpatialTau}) instead of the fixed 0.9; otherwise as
 * {@link ScissorBudget}.
 */
public final class ScissorBudgetCalibrated implements Method {

    @Override
    public String name() {
        return "scissor-budget-cal";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        final double retention = Math.min(1.0, (double) target / ((long) frames * tokens));
        return new ScissorBudget(ScissorParams.defaults().withTau(ScissorParams.calibratedSpatialTau(retention)))
                .reduce(video, frames, tokens, dim, target);
    }
}
