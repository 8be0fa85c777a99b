package dev.scissor.compressor.eval;

/**
 * A token compressor under evaluation: one window of T frames x N tokens x D channels to about K
 * tokens.
 *
 * <p>Implementations are deterministic (seeded where they draw random numbers) and stateless
 * between calls, so one instance may reduce many windows.
 */
public interface Method {

    /** Whether the kept tokens are original tokens or averages of several. */
    enum Kind {
        /** Every kept token is one of the original tokens (its drift is 0). */
        SELECT,
        /** Kept tokens are averages of original tokens. */
        MERGE
    }

    /** The short name used on the command line and in tables, e.g. {@code tome}. */
    String name();

    /** Select or merge. */
    Kind kind();

    /**
     * Reduces one window.
     *
     * @param video tokens, [T, N, D] row-major; not modified
     * @param frames T
     * @param tokens N
     * @param dim D
     * @param target K, the token count asked for (1 &le; K &le; T * N)
     * @return the kept tokens; their count may differ from K where the method cannot hit K exactly
     *         (see each implementation)
     */
    Reduction reduce(float[] video, int frames, int tokens, int dim, int target);
}
