package dev.scissor.streams;

import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.DeadLetters.Reason;
import dev.scissor.schemas.avro.EmitReason;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The compressor's own metrics, shared by every task of one application instance and registered
 * in its {@link Metrics} registry. The processor only increments {@link LongAdder}s and observes
 * timers (no allocation per record or token); figures derived from them (the retention ratio)
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

    /** Buckets of a window's compute time, seconds: 0.5 ms doubling up to 4.096 s. */
    static final double[] COMPUTE_BUCKETS = {
        0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096
    };

    final LongAdder tokenFrames = new LongAdder();
    final LongAdder tokensIn = new LongAdder();
    final LongAdder windowTokensIn = new LongAdder();
    final LongAdder tokensOut = new LongAdder();
    private final LongAdder[] windows = adders(EmitReason.values().length);
    private final LongAdder[] deadLetters = adders(Reason.values().length);
    private final Timer computeSeconds;
    private final Timer endToEndSeconds;

    /**
     * Creates the metrics and registers them.
     *
     * @param registry the application's registry
     */
    public CompressorMetrics(final Metrics registry) {
        registry.counter(
                "scissor_compressor_token_frames_total",
                "Token-frame records read from the tokens topic, valid or not.",
                tokenFrames::sum);
        registry.counter(
                "scissor_compressor_tokens_in_total",
                "Tokens of the frames accepted (grid height x width per frame).",
                tokensIn::sum);
        registry.counter(
                "scissor_compressor_window_tokens_in_total",
                "Input tokens of the windows emitted (frames x tokens per frame; windows overlap by W - H frames).",
                windowTokensIn::sum);
        registry.counter(
                "scissor_compressor_tokens_out_total",
                "Tokens of the windows emitted, after compression.",
                tokensOut::sum);
        registry.gauge(
                "scissor_compressor_retention_ratio",
                "Tokens out over window tokens in since start (NaN before the first window).",
                () -> {
                    final long in = windowTokensIn.sum();
                    return in == 0 ? Double.NaN : (double) tokensOut.sum() / in;
                });
        for (final EmitReason r : EmitReason.values()) {
            registry.counter(
                    "scissor_compressor_windows_total",
                    "Compressed windows emitted, by emit reason (HOP, SCENE_CHANGE).",
                    windows[r.ordinal()]::sum,
                    "reason",
                    r.name());
        }
        for (final Reason r : Reason.values()) {
            registry.counter(
                    "scissor_compressor_dead_letters_total",
                    "Token-frame records sent to the dead-letter topic, by reason (see DeadLetters.Reason).",
                    deadLetters[r.ordinal()]::sum,
                    "reason",
                    r.name());
        }
        computeSeconds = Timer.builder("scissor_compressor_window_compute_seconds")
                .description("Compute time of a window: its frames' spatial steps and the window's temporal step "
                        + "and merge.")
                .serviceLevelObjectives(seconds(COMPUTE_BUCKETS))
                .register(registry.registry());
        endToEndSeconds = Timer.builder("scissor_compressor_end_to_end_latency_seconds")
                .description("Wall clock at window emit minus the capture timestamp of the window's last frame "
                        + "(negative differences, from clocks ahead, count as 0).")
                .serviceLevelObjectives(seconds(LATENCY_BUCKETS))
                .register(registry.registry());
    }

    /** A window was emitted. */
    void windowEmitted(
            final EmitReason reason,
            final int inputTokens,
            final int outputTokens,
            final long computeMicros,
            final long lastCaptureMs,
            final long nowMs) {
        windows[reason.ordinal()].increment();
        windowTokensIn.add(inputTokens);
        tokensOut.add(outputTokens);
        computeSeconds.record(computeMicros, TimeUnit.MICROSECONDS);
        endToEndSeconds.record(Math.max(0, nowMs - lastCaptureMs), TimeUnit.MILLISECONDS);
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
    public Timer endToEndLatency() {
        return endToEndSeconds;
    }

    private static Duration[] seconds(final double[] bounds) {
        final Duration[] out = new Duration[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            out[i] = Duration.ofNanos(Math.round(bounds[i] * 1e9));
        }
        return out;
    }

    private static LongAdder[] adders(final int n) {
        final LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
