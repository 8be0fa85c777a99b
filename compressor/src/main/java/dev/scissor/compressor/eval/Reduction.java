package dev.scissor.compressor.eval;

/**
 * What a {@link Method} kept of one window.
 *
 * @param count K', the number of kept tokens
 * @param tokens kept tokens, [K', D] row-major
 * @param assignment the kept token each original token (t * N + n) is represented by, [T * N], or
 *                   {@code null} for a selection method that does not say (the metrics use the
 *                   nearest kept token in any case)
 * @param note a method-specific detail for reports (e.g. the calibrated tau), or empty
 */
public record Reduction(int count, float[] tokens, int[] assignment, String note) {

    /** Checks that the arrays agree with the count. */
    public Reduction {
        if (count < 0 || tokens == null || (count > 0 && tokens.length % count != 0)) {
            throw new IllegalArgumentException("tokens must hold count rows");
        }
        if (note == null) {
            note = "";
        }
    }
}
