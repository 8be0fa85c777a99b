package dev.scissor.compressor.internal;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;

/** The epsilon sample of one connected-components call. */
public final class Sampling {

    private Sampling() {}

    /**
     * The sampled vertices of a call over n vertices, or {@code null} when every vertex is sampled.
     */
    public static int[] sample(
            final ScissorParams params,
            final SampleOrders orders,
            final SampleOrders.Stage stage,
            final long frameSeq,
            final int n) {
        final int k = params.sampleSize(n);
        if (k >= n) {
            if (orders.consultedForCompleteSamples() && n > 0) {
                orders.order(stage, frameSeq, n, n);
            }
            return null;
        }
        final int[] order = orders.order(stage, frameSeq, n, k);
        if (order.length != k) {
            throw new IllegalStateException("sampler returned " + order.length + " vertices, expected " + k);
        }
        for (final int v : order) {
            if (v < 0 || v >= n) {
                throw new IllegalStateException("sampler returned vertex " + v + " outside [0, " + n + ")");
            }
        }
        return order;
    }
}
