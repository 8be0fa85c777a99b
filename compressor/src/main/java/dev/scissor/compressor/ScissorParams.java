package dev.scissor.compressor;

/**
 * Parameters of LLaVA-Scissor compression, validated on construction.
 *
 * <ul>
 *   <li>{@code tau}: similarity threshold; two tokens are adjacent iff their cosine is strictly
 *       greater than tau. Must lie in [-1, 1] unless {@code allowAnyTau} is set (values outside
 *       that range give "nothing merges" (tau &ge; 1) or "everything merges" (tau &lt; -1)).</li>
 *   <li>{@code epsilon}: the sampled-approximation parameter of the original; a connected-components
 *       call over n tokens samples {@code k = min(n, ceil(ln n / epsilon^2))} vertices. 0 means
 *       exact (every vertex sampled). With the default 0.05, every n &le; 3233 is exact.</li>
 *   <li>{@code budget}: optional exact token count per window (budget mode: the temporal step is a
 *       single-linkage cut to exactly K components instead of a threshold).</li>
 *   <li>{@code seed}: seed of the default sampler, so that reruns are identical.</li>
 *   <li>{@code mode}: {@link Mode#CLASSIC} (the paper's SCC, default) or {@link Mode#REFINED}
 *       (budget mode only: classic SCC to half the budget, then splits and 2-4 assignment/mean
 *       iterations to exactly K tokens; see {@link Mode#REFINED}).</li>
 * </ul>
 *
 * @param tau similarity threshold
 * @param epsilon sampling parameter, in [0, 1]
 * @param budget token budget per window, or {@code null} for threshold mode
 * @param seed seed of the default sample orders
 * @param allowAnyTau accept any finite tau (outside [-1, 1])
 * @param mode classic or refined; refined requires a budget
 */
public record ScissorParams(double tau, double epsilon, Budget budget, long seed, boolean allowAnyTau, Mode mode) {

    /** How a window's tokens are grouped. */
    public enum Mode {
        /** The paper's semantic connected components (threshold or single-linkage budget cut). */
        CLASSIC,
        /**
         * Budget mode without chaining: the classic budget cut to {@code max(1, K / 2)} components,
         * then, while fewer than K clusters exist, the cluster with the largest total cosine distance
         * to its mean is split in two by a few 2-means steps over its tokens; then
         * {@code clamp(round(0.2 * T * N / K), 2, 4)} assignment/mean iterations over all T * N
         * tokens of the window (argmax cosine to the
         * clusters' plain means, ties to the lowest index). Output tokens are the plain means of
         * their clusters, in order of their first token in the window. Yields exactly
         * {@code min(K, T * N)} tokens and needs no training; deterministic (no random draws).
         */
        REFINED;

        /** The mode named {@code classic} or {@code refined} (case-insensitive). */
        public static Mode parse(final String name) {
            for (final Mode m : values()) {
                if (m.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
                    return m;
                }
            }
            throw new IllegalArgumentException("mode must be classic or refined, got '" + name + "'");
        }
    }

    /** Default similarity threshold of the paper's shipped configuration. */
    public static final double DEFAULT_TAU = 0.9;
    /** Default epsilon of the paper. */
    public static final double DEFAULT_EPSILON = 0.05;
    /** Default sampler seed. */
    public static final long DEFAULT_SEED = 0L;

    /** Validates every field. */
    public ScissorParams {
        if (!Double.isFinite(tau)) {
            throw new IllegalArgumentException("tau must be a finite number, got " + tau);
        }
        if (!allowAnyTau && (tau < -1.0 || tau > 1.0)) {
            throw new IllegalArgumentException("tau must lie in [-1, 1] (cosine similarity), got " + tau
                    + "; pass allowAnyTau (--allow-any-tau) to use it anyway");
        }
        if (!(epsilon >= 0.0 && epsilon <= 1.0)) {
            throw new IllegalArgumentException("epsilon must lie in [0, 1] (0 = exact components), got " + epsilon);
        }
        if (mode == null) {
            throw new IllegalArgumentException("mode is required (classic or refined)");
        }
        if (mode == Mode.REFINED && budget == null) {
            throw new IllegalArgumentException("refined mode needs a token budget or a retention ratio");
        }
    }

    /** Classic mode with the given fields (the constructor before modes existed). */
    public ScissorParams(
            final double tau, final double epsilon, final Budget budget, final long seed, final boolean allowAnyTau) {
        this(tau, epsilon, budget, seed, allowAnyTau, Mode.CLASSIC);
    }

    /** The paper's defaults: tau 0.9, epsilon 0.05, no budget. */
    public static ScissorParams defaults() {
        return new ScissorParams(DEFAULT_TAU, DEFAULT_EPSILON, null, DEFAULT_SEED, false);
    }

    /** Threshold mode with the given tau and epsilon. */
    public static ScissorParams of(final double tau, final double epsilon) {
        return new ScissorParams(tau, epsilon, null, DEFAULT_SEED, false);
    }

    /**
     * A spatial tau calibrated to a budget (opt-in; budget mode keeps the tau it is given): 0.9 up to
     * 10% retention, then rising linearly to 0.97 at 20% and above. At tau 0.9 the spatial step
     * already merges more than a budget of 20% or more needs, so the temporal cut cannot undo it
     * (vtest.avi, 16-frame windows: mean distance 0.0201 at 20% and 0.0132 at 35% with tau 0.9,
     * 0.0110 and 0.0032 with 0.97, as threshold mode's 0.0112 and 0.0032); below 10% the spatial tau
     * hardly matters (0.0710 against 0.0711 at 5%).
     *
     * @param retention the budget as a share of the window's tokens, in (0, 1]
     * @return the spatial tau
     */
    public static double calibratedSpatialTau(final double retention) {
        if (!(retention > 0.0 && retention <= 1.0)) {
            throw new IllegalArgumentException("retention must lie in (0, 1], got " + retention);
        }
        return Math.min(0.97, DEFAULT_TAU + 0.7 * Math.max(0.0, retention - 0.1));
    }

    /** A copy with another tau. */
    public ScissorParams withTau(final double newTau) {
        return new ScissorParams(newTau, epsilon, budget, seed, allowAnyTau, mode);
    }

    /** A copy with a token budget (budget mode), or {@code null} for threshold mode. */
    public ScissorParams withBudget(final Budget newBudget) {
        return new ScissorParams(tau, epsilon, newBudget, seed, allowAnyTau, mode);
    }

    /** A copy with another sampler seed. */
    public ScissorParams withSeed(final long newSeed) {
        return new ScissorParams(tau, epsilon, budget, newSeed, allowAnyTau, mode);
    }

    /**
     * A copy with another mode.
     *
     * @throws IllegalArgumentException for {@link Mode#REFINED} without a budget
     */
    public ScissorParams withMode(final Mode newMode) {
        return new ScissorParams(tau, epsilon, budget, seed, allowAnyTau, newMode);
    }

    /** A copy that accepts any finite tau. */
    public ScissorParams withAllowAnyTau(final boolean allow) {
        return new ScissorParams(tau, epsilon, budget, seed, allow, mode);
    }

    /**
     * Sample size of one connected-components call over n vertices:
     * {@code min(n, ceil(ln n / epsilon^2))}, natural log, as in the original.
     *
     * @param n number of vertices
     * @return number of sampled vertices
     */
    public int sampleSize(final int n) {
        if (n <= 0) {
            return 0;
        }
        if (epsilon == 0.0) {
            return n;
        }
        final double k = Math.ceil(Math.log(n) / (epsilon * epsilon));
        return k >= n ? n : (int) k;
    }

    /**
     * A token budget per window: either an exact count K or a retention ratio r of the window's
     * input tokens ({@code K = round(r * T * N)}, at least 1).
     *
     * @param tokens exact count, or 0 when a ratio is given
     * @param retention ratio in (0, 1], or 0 when a count is given
     */
    public record Budget(int tokens, double retention) {

        /** Validates that exactly one of the two is set and in range. */
        public Budget {
            final boolean hasTokens = tokens != 0;
            final boolean hasRatio = retention != 0.0;
            if (hasTokens == hasRatio) {
                throw new IllegalArgumentException(
                        "a budget is either a token count or a retention ratio, not both or neither");
            }
            if (hasTokens && tokens < 1) {
                throw new IllegalArgumentException("budget must be at least 1 token, got " + tokens);
            }
            if (hasRatio && !(retention > 0.0 && retention <= 1.0)) {
                throw new IllegalArgumentException("retention must lie in (0, 1], got " + retention);
            }
        }

        /** An exact token count K per window. */
        public static Budget tokens(final int k) {
            if (k < 1) {
                throw new IllegalArgumentException("budget must be at least 1 token, got " + k);
            }
            return new Budget(k, 0.0);
        }

        /** A retention ratio r: K = round(r * T * N) per window. */
        public static Budget retention(final double r) {
            if (!(r > 0.0 && r <= 1.0)) {
                throw new IllegalArgumentException("retention must lie in (0, 1], got " + r);
            }
            return new Budget(0, r);
        }

        /**
         * The token count for a window of {@code inputTokens} tokens.
         *
         * @param inputTokens T * N
         * @return K, at least 1
         */
        public int tokensFor(final long inputTokens) {
            if (tokens != 0) {
                return tokens;
            }
            return (int) Math.max(1L, Math.round(retention * inputTokens));
        }
    }
}
