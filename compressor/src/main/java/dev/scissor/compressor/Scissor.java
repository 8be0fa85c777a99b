package dev.scissor.compressor;

import dev.scissor.compressor.internal.Gemm;
import dev.scissor.compressor.internal.SpatialFrame;
import dev.scissor.compressor.internal.SpatialScc;

/**
 * Batch entry points of the LLaVA-Scissor compressor: one frame (spatial SCC only) or one video
 * (spatial SCC per frame, temporal SCC over all frames' spatial tokens, then the merge step).
 *
 * <pre>{@code
 * WindowResult r = Scissor.compress(tokens, 16, 196, 816, ScissorParams.defaults());
 * float[] out = r.tokens(); // [r.tokenCount(), 816]
 * }</pre>
 */
public final class Scissor {

    private Scissor() {}

    /**
     * Spatial SCC of one frame.
     *
     * @param count number of components (output tokens)
     * @param labels component of each input token, [N]
     * @param tokens component means, [count, D]
     */
    public record SpatialResult(int count, int[] labels, float[] tokens) {}

    /**
     * Compresses one frame with the spatial step only.
     *
     * @param frame tokens, [N, D] row-major
     * @param tokens N
     * @param dim D
     * @param params tau and epsilon (a budget is ignored)
     * @param orders sample orders (the frame is sequence 0)
     * @return the frame's components
     */
    public static SpatialResult spatial(
            final float[] frame,
            final int tokens,
            final int dim,
            final ScissorParams params,
            final SampleOrders orders) {
        checkShape(frame, 1, tokens, dim);
        checkFinite(frame);
        final SpatialFrame f = new SpatialScc().compute(frame, 0, tokens, dim, params, orders, 0L);
        return new SpatialResult(f.count, f.labels, f.tokens);
    }

    /**
     * Compresses a video of T frames: the batch computation, a {@link SlidingWindow} of W = T fed
     * once. Frames get sequence numbers 0..T-1.
     *
     * @param video tokens, [T, N, D] row-major
     * @param frames T
     * @param tokens N
     * @param dim D
     * @param params compression parameters
     * @param orders sample orders
     * @return the compressed window
     */
    public static WindowResult compress(
            final float[] video,
            final int frames,
            final int tokens,
            final int dim,
            final ScissorParams params,
            final SampleOrders orders) {
        checkShape(video, frames, tokens, dim);
        final SlidingWindow window = new SlidingWindow(params, orders, tokens, dim, gridWidth(tokens), frames, frames);
        WindowResult out = null;
        for (int t = 0; t < frames; t++) {
            out = window.push(t, video, t * tokens * dim);
        }
        return out;
    }

    /** {@link #compress(float[], int, int, int, ScissorParams, SampleOrders)} with the seeded default sampler. */
    public static WindowResult compress(
            final float[] video, final int frames, final int tokens, final int dim, final ScissorParams params) {
        return compress(video, frames, tokens, dim, params, SampleOrders.seeded(params.seed()));
    }

    /** The width of a square token grid of n tokens, or n (one row) when n is not a square. */
    public static int gridWidth(final int n) {
        final int r = (int) Math.round(Math.sqrt(n));
        return r * r == n ? r : n;
    }

    /** The dense-math implementation in use (e.g. {@code JNIBLAS} for the system OpenBLAS). */
    public static String blasImplementation() {
        return Gemm.implementation();
    }

    private static void checkShape(final float[] data, final int frames, final int tokens, final int dim) {
        if (frames < 1 || tokens < 1 || dim < 1) {
            throw new IllegalArgumentException(
                    "shape must be positive, got T=" + frames + " N=" + tokens + " D=" + dim);
        }
        final long need = (long) frames * tokens * dim;
        if (data == null || data.length != need) {
            throw new IllegalArgumentException("expected " + need + " values for [" + frames + ", " + tokens + ", "
                    + dim + "], got " + (data == null ? "null" : data.length));
        }
    }

    private static void checkFinite(final float[] data) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new IllegalArgumentException("non-finite value at flat index " + i);
            }
        }
    }
}
