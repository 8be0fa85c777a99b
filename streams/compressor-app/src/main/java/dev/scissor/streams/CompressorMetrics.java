package dev.scissor.streams;

import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.DeadLetters.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The compressor's own metrics, shared by every task of one application instance and registered
 * in its {@link Metrics} registry. The processor only increments {@link LongAdder}s and observes
 * histograms (no allocation per record or token); figures derived from them (the retention ratio)
 * are computed when scraped.
 *
 * <ul>
 *   <li>{@code scissor_compressor_token_frames_total}: token-frame records read (valid or not);
 *   <li>{@code scissor_compressor_tokens_in_total}: tokens of the frames accepted;
 *   <li>{@code scissor_compressor_window_tokens_in_total} / {@code scissor_compressor_tokens_out_total}:
 *       input and output tokens of the emitted windows, and their ratio {@code
 *       scissor_compressor_retention_ratio};
 *   <li>{@code scissor_compressor_windows_total{reason}}, {@code scissor_compressor_dead_letters_total{reason}};
 *   <li>{@code scissor_compressor_window_compute_seconds}, {@code
 *       scissor_compressor_end_to_end_latency_seconds} (histograms).
 * </ul>
 */
public final class CompressorMetrics {

    /** Buckets of the end-to-end latency, seconds (capture to window emit). */
    static final double[] LATENCY_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300};

    final LongAdder tokenFrames = new LongAdder();
    final LongAdder tokensIn = new LongAdder();
    final LongAdder windowTokensIn = new LongAdder();
    final LongAdder tokensOut = new LongAdder();
    private final LongAdder[] windows = adders(EmitReason.values().length);
    private final LongAdder[] deadLetters = adders(Reason.values().length);
    private final Metrics.Histogram computeSeconds;
    private final Metrics.Histogram endToEndSeconds;

    /**
     * Creates the metrics and registers them.
     *
     * @param registry the application's registry
     */
    public CompressorMetrics(final Metrics registry) {
        registry.register("scissor_compressor_token_frames_total", "counter",
                "Token-frame records read from the tokens topic, valid or not.", () -> one(tokenFrames.sum()));
        registry.register("scissor_compressor_tokens_in_total", "counter",
                "Tokens of the frames accepted (grid height x width per frame).", () -> one(tokensIn.sum()));
        registry.register("scissor_compressor_window_tokens_in_total", "counter",
                "Input tokens of the windows emitted (frames x tokens per frame; windows overlap by W - H frames).",
                () -> one(windowTokensIn.sum()));
        registry.register("scissor_compressor_tokens_out_total", "counter",
                "Tokens of the windows emitted, after compression.", () -> one(tokensOut.sum()));
        registry.gauge("scissor_compressor_retention_ratio",
                "Tokens out over window tokens in since start (NaN before the first window).", () -> {
                    final long in = windowTokensIn.sum();
                    return in == 0 ? Double.NaN : (double) tokensOut.sum() / in;
                });
        registry.register("scissor_compressor_windows_total", "counter",
                "Compressed windows emitted, by emit reason (HOP, SCENE_CHANGE).", () -> {
                    final List<Metrics.Sample> out = new ArrayList<>();
                    for (final EmitReason r : EmitReason.values()) {
                        out.add(new Metrics.Sample(Map.of("reason", r.name()), windows[r.ordinal()].sum()));
                    }
                    return out;
                });
        registry.register("scissor_compressor_dead_letters_total", "counter",
                "Token-frame records sent to the dead-letter topic, by reason (see DeadLetters.Reason).", () -> {
                    final List<Metrics.Sample> out = new ArrayList<>();
                    for (final Reason r : Reason.values()) {
                        out.add(new Metrics.Sample(Map.of("reason", r.name()), deadLetters[r.ordinal()].sum()));
                    }
                    return out;
                });
        computeSeconds = registry.histogram("scissor_compressor_window_compute_seconds",
                "Compute time of a window: its frames' spatial steps and the window's temporal step and merge.",
                Metrics.exponentialBuckets(0.0005, 2, 14));
        endToEndSeconds = registry.histogram("scissor_compressor_end_to_end_latency_seconds",
                "Wall clock at window emit minus the capture timestamp of the window's last frame (negative "
                        + "differences, from clocks ahead, count as 0).", LATENCY_BUCKETS);
    }

    /** A window was emitted. */
    void windowEmitted(final EmitReason reason, final int inputTokens, final int outputTokens,
                       final long computeMicros, final long lastCaptureMs, final long nowMs) {
        windows[reason.ordinal()].increment();
        windowTokensIn.add(inputTokens);
        tokensOut.add(outputTokens);
        computeSeconds.observe(computeMicros / 1e6);
        endToEndSeconds.observe(Math.max(0, nowMs - lastCaptureMs) / 1e3);
    }

    /** A record became a dead letter. */
    void deadLetter(final Reason reason) {
        deadLetters[reason.ordinal()].increment();
    }

    /** Windows emitted with a reason, by this instance since it started. */
    public long windows(final EmitReason reason) {
        return windows[reason.ordinal()].sum();
    }

    /** Dead letters with a reason, by this instance since it started. */
    public long deadLetters(final Reason reason) {
        return deadLetters[reason.ordinal()].sum();
    }

    /** Token-frame records read by this instance since it started. */
    public long tokenFrames() {
        return tokenFrames.sum();
    }

    /** The end-to-end latency histogram. */
    public Metrics.Histogram endToEndLatency() {
        return endToEndSeconds;
    }

    private static List<Metrics.Sample> one(final double value) {
        return List.of(new Metrics.Sample(Map.of(), value));
    }

    private static LongAdder[] adders(final int n) {
        final LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
