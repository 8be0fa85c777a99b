package dev.scissor.pipeline;

import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.DeadLetters.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The encoder's metrics, summed over the workers of one process and read from their counters when
 * scraped (nothing is added to the encoding path).
 */
final class EncoderMetrics {

    private EncoderMetrics() {
    }

    static void register(final Metrics metrics, final List<EncoderStage> stages, final String framesTopic) {
        metrics.register("scissor_encoder_frames_in_total", "counter",
                "VideoFrame records consumed (dead letters and frames read again after an abort included).",
                () -> sum(stages, EncoderStage::framesIn));
        metrics.register("scissor_encoder_token_frames_out_total", "counter",
                "FrameTokens records produced (one per encoded frame).", () -> sum(stages, EncoderStage::tokensOut));
        metrics.register("scissor_encoder_dead_letters_total", "counter",
                "Frames sent to the dead-letter topic, by reason (see DeadLetters.Reason).", () -> {
                    final List<Metrics.Sample> out = new ArrayList<>();
                    for (final Reason r : Reason.values()) {
                        long n = 0;
                        for (final EncoderStage s : stages) {
                            n += s.deadLetters(r);
                        }
                        out.add(new Metrics.Sample(Map.of("reason", r.name()), n));
                    }
                    return out;
                });
        metrics.register("scissor_encoder_batches_total", "counter", "Model runs (batches of frames).",
                () -> sum(stages, EncoderStage::batches));
        metrics.register("scissor_encoder_encode_seconds_total", "counter",
                "Time spent in model runs, summed over workers.", () -> sum(stages, s -> s.encodeNanos() / 1e9));
        metrics.register("scissor_encoder_prepare_seconds_total", "counter",
                "Time spent deserialising, decoding and preprocessing frames, summed over workers.",
                () -> sum(stages, s -> s.prepareNanos() / 1e9));
        metrics.register("scissor_encoder_aborts_total", "counter",
                "Transactions aborted after an error (their frames are read again).",
                () -> sum(stages, EncoderStage::aborts));
        metrics.register("scissor_encoder_consumer_lag_records", "gauge",
                "Records of the frames topic not yet read, per assigned partition (Kafka's records-lag).", () -> {
                    final Map<Integer, Double> lag = new TreeMap<>();
                    for (final EncoderStage s : stages) {
                        s.consumerLag().forEach((p, v) -> lag.merge(p, v, Math::max));
                    }
                    final List<Metrics.Sample> out = new ArrayList<>();
                    lag.forEach((p, v) -> out.add(new Metrics.Sample(
                            Map.of("topic", framesTopic, "partition", Integer.toString(p)), v)));
                    return out;
                });
        metrics.register("scissor_encoder_workers", "gauge", "Encoder workers by state.", () -> {
            final List<Metrics.Sample> out = new ArrayList<>();
            for (final EncoderStage.State st : EncoderStage.State.values()) {
                out.add(new Metrics.Sample(Map.of("state", st.name()),
                        stages.stream().filter(s -> s.state() == st).count()));
            }
            return out;
        });
    }

    private static List<Metrics.Sample> sum(final List<EncoderStage> stages, final ToDoubleFunction<EncoderStage> f) {
        double total = 0;
        for (final EncoderStage s : stages) {
            total += f.applyAsDouble(s);
        }
        return List.of(new Metrics.Sample(Map.of(), total));
    }
}
