package dev.scissor.compressor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Numeric edge cases of the certified fast paths: float32 overflow of norms and similarities (the
 * decision falls back to float64) and the norm clamp {@code x / max(|x|, 1e-12)} (ALGORITHM.md
 * decision 2) in the spatial step.
 */
class NumericEdgeCasesTest {

    /** cos(x0, x1) = 1 but ||x0||^2 overflows float32: the fast path divides by +Inf and certifies "no edge". */
    @Test
    void spatialEdgeOfATokenWhoseSquaredNormOverflowsFloat() {
        final float[] frame = {1e20f, 0f, 1f, 0f};
        final Scissor.SpatialResult r =
                Scissor.spatial(frame, 2, 2, ScissorParams.of(0.5, 0.0), SampleOrders.seeded(0));
        assertEquals(1, r.count(), "cos = 1 > 0.5: one component");
    }

    /** Both merge similarities of x overflow to +Inf: overflowedRow's floor is Inf - Inf = NaN, so no candidate
     *  is re-decided and the lowest index wins although cos(x, R1) = 1 > cos(x, R0) = 0.99986. */
    @Test
    void mergeArgmaxWhenEveryFloatSimilarityOverflows() {
        final float[] video = {3e38f, 2.9e38f, 3e38f, 3e38f}; // y, x
        final WindowResult r = Scissor.compress(video, 1, 2, 2, ScissorParams.of(0.99995, 0.0));
        assertEquals(2, r.tokenCount());
        assertEquals(0, r.assignment()[0]);
        assertEquals(1, r.assignment()[1], "x is its own retained token (cos 1)");
    }

    /** Decision 2: x / max(||x||, 1e-12). Two tokens of norm 1e-13 have clamped cosine 0.01, so no edge
     *  (not even self-loops) at tau 0.5; the spatial fast path uses the unclamped cosine 1. */
    @Test
    void spatialCosineIgnoresTheNormClamp() {
        final float[] frame = {1e-13f, 0f, 1e-13f, 0f};
        final Scissor.SpatialResult r =
                Scissor.spatial(frame, 2, 2, ScissorParams.of(0.5, 0.0), SampleOrders.seeded(0));
        assertEquals(2, r.count(), "clamped cosine 0.01 <= 0.5: two singletons");
    }

    /** The same two tiny tokens in two frames: the temporal step does apply the clamp (no edge). */
    @Test
    void spatialAndTemporalDisagreeOnTinyTokens() {
        final float[] video = {1e-13f, 0f, 1e-13f, 0f};
        final WindowResult r = Scissor.compress(video, 2, 1, 2, ScissorParams.of(0.5, 0.0));
        // Spatially a tiny token has a self-loop (cos 1); temporally the two identical frames are not joined.
        assertEquals(2, r.tokenCount());
    }
}
