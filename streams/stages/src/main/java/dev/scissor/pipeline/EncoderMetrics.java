package dev.scissor.pipeline;

import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.DeadLetters.Reason;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The encoder's metrics, summed over the workers of one process and read from their counters when
 * scraped (nothing is added to the encoding path), and the workers' clients' own Kafka metrics.
 */
final class EncoderMetrics {

    private EncoderMetrics() {}

    static void register(final Metrics metrics, final List<EncoderStage> stages, final String framesTopic) {
        metrics.counter(
                "scissor_encoder_frames_in_total",
                "VideoFrame records consumed (dead letters and frames read again after an abort included).",
                () -> sum(stages, EncoderStage::framesIn));
        metrics.counter(
                "scissor_encoder_token_frames_out_total",
                "FrameTokens records produced (one per encoded frame).",
                () -> sum(stages, EncoderStage::tokensOut));
        for (final Reason r : Reason.values()) {
            metrics.counter(
                    "scissor_encoder_dead_letters_total",
                    "Frames sent to the dead-letter topic, by reason (see DeadLetters.Reason).",
                    () -> sum(stages, s -> s.deadLetters(r)),
                    "reason",
                    r.name());
        }
        metrics.counter(
                "scissor_encoder_batches_total",
                "Model runs (batches of frames).",
                () -> sum(stages, EncoderStage::batches));
        metrics.counter(
                "scissor_encoder_encode_seconds_total",
                "Time spent in model runs, summed over workers.",
                () -> sum(stages, s -> s.encodeNanos() / 1e9));
        metrics.counter(
                "scissor_encoder_prepare_seconds_total",
                "Time spent deserialising, decoding and preprocessing frames, summed over workers.",
                () -> sum(stages, s -> s.prepareNanos() / 1e9));
        metrics.counter(
                "scissor_encoder_aborts_total",
                "Transactions aborted after an error (their frames are read again).",
                () -> sum(stages, EncoderStage::aborts));
        metrics.gauges(
                "scissor_encoder_consumer_lag_records",
                "Records of the frames topic not yet read, per assigned partition (Kafka's records-lag).",
                () -> {
                    final Map<Tags, Double> lag = new HashMap<>();
                    for (final EncoderStage s : stages) {
                        s.consumerLag()
                                .forEach((p, v) -> lag.merge(
                                        Tags.of("topic", framesTopic, "partition", Integer.toString(p)), v, Math::max));
                    }
                    return lag;
                });
        for (final EncoderStage.State st : EncoderStage.State.values()) {
            metrics.gauge(
                    "scissor_encoder_workers",
                    "Encoder workers by state.",
                    () -> stages.stream().filter(s -> s.state() == st).count(),
                    "state",
                    st.name());
        }
        for (final EncoderStage s : stages) {
            s.bindClientMetrics(metrics);
        }
    }

    private static double sum(final List<EncoderStage> stages, final ToDoubleFunction<EncoderStage> f) {
        double total = 0;
        for (final EncoderStage s : stages) {
            total += f.applyAsDouble(s);
        }
        return total;
    }
}
