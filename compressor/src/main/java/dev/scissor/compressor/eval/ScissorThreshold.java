package dev.scissor.compressor.eval;

import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import java.util.Locale;

/**
 * LLaVA-Scissor as published (threshold mode, tau and epsilon), with tau calibrated per window so
 * that the output count comes as close to K as the threshold allows.
 *
 * <p>Calibration: bisection on tau in [-1, 1] (the count grows with tau: at tau = 1 nothing merges,
 * at -1 everything does), {@value #STEPS} steps; the tau whose count is closest to K wins, ties to
 * the count below K. The paper sets one tau per benchmark, not per window, so this is the most
 * favourable use of threshold mode; the achieved count is reported and may differ from K (a
 * threshold cannot split a tie of similarities). Epsilon is the paper's 0.05, seed fixed.
 */
public final class ScissorThreshold implements Method {

    static final int STEPS = 18;

    private final ScissorParams base;

    /** With the paper's epsilon and the default seed. */
    public ScissorThreshold() {
        this(ScissorParams.defaults());
    }

    /** With the given epsilon and seed (tau is calibrated, a budget is ignored). */
    public ScissorThreshold(final ScissorParams base) {
        this.base = base.withBudget(null);
    }

    @Override
    public String name() {
        return "scissor";
    }

    @Override
    public Kind kind() {
        return Kind.MERGE;
    }

    @Override
    public Reduction reduce(final float[] video, final int frames, final int tokens, final int dim, final int target) {
        double lo = -1.0;
        double hi = 1.0;
        WindowResult best = Scissor.compress(video, frames, tokens, dim, base.withTau(hi));
        double bestTau = hi;
        for (int s = 0; s < STEPS && best.tokenCount() != target; s++) {
            final double mid = 0.5 * (lo + hi);
            final WindowResult r = Scissor.compress(video, frames, tokens, dim, base.withTau(mid));
            final int c = r.tokenCount();
            if (closer(c, best.tokenCount(), target)) {
                best = r;
                bestTau = mid;
            }
            if (c > target) {
                hi = mid;
            } else if (c < target) {
                lo = mid;
            } else {
                break;
            }
        }
        return new Reduction(
                best.tokenCount(), best.tokens(), best.assignment(), String.format(Locale.ROOT, "tau=%.4f", bestTau));
    }

    private static boolean closer(final int c, final int current, final int target) {
        final int dc = Math.abs(c - target);
        final int dk = Math.abs(current - target);
        return dc < dk || (dc == dk && c < current);
    }
}
