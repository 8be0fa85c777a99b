package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compressor's {@code /metrics} text, from an instance that is built but not started (no
 * broker): every name of the metrics contract, and Kafka Streams' own metrics beside them.
 */
class CompressorAppMetricsTest {

    /** The samples the compressor exported before Micrometer, without the partitions' lag (there is none yet). */
    static final List<String> SCISSOR_SAMPLES = List.of(
            "scissor_compressor_token_frames_total ",
            "scissor_compressor_tokens_in_total ",
            "scissor_compressor_window_tokens_in_total ",
            "scissor_compressor_tokens_out_total ",
            "scissor_compressor_retention_ratio ",
            "scissor_compressor_windows_total{reason=\"HOP\"} ",
            "scissor_compressor_windows_total{reason=\"SCENE_CHANGE\"} ",
            "scissor_compressor_dead_letters_total{reason=\"UNDECODABLE\"} ",
            "scissor_compressor_dead_letters_total{reason=\"LATE\"} ",
            "scissor_compressor_window_compute_seconds_bucket{le=\"5.0E-4\"} ",
            "scissor_compressor_window_compute_seconds_bucket{le=\"4.096\"} ",
            "scissor_compressor_window_compute_seconds_bucket{le=\"+Inf\"} ",
            "scissor_compressor_window_compute_seconds_sum ",
            "scissor_compressor_window_compute_seconds_count ",
            "scissor_compressor_end_to_end_latency_seconds_bucket{le=\"0.05\"} ",
            "scissor_compressor_end_to_end_latency_seconds_bucket{le=\"60.0\"} ",
            "scissor_compressor_end_to_end_latency_seconds_bucket{le=\"300.0\"} ",
            "scissor_compressor_end_to_end_latency_seconds_bucket{le=\"+Inf\"} ",
            "scissor_compressor_end_to_end_latency_seconds_sum ",
            "scissor_compressor_end_to_end_latency_seconds_count ",
            "scissor_compressor_state{state=\"CREATED\"} 1",
            "scissor_compressor_state{state=\"RUNNING\"} 0",
            "scissor_compressor_consumer_lag_max_records ");

    @TempDir
    Path stateDir;

    @Test
    void metricsHoldTheScissorNamesAndKafkaStreamsOwn() {
        final CompressorConfig config = new CompressorConfig(Map.of(
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:9",
                StreamsConfig.STATE_DIR_CONFIG,
                stateDir.toString()));
        final String text;
        try (CompressorApp app = new CompressorApp(config)) {
            text = app.metrics().scrape();
        }
        for (final String sample : SCISSOR_SAMPLES) {
            assertTrue(text.contains("\n" + sample), sample + " in\n" + text);
        }
        assertTrue(text.contains("# TYPE scissor_compressor_window_compute_seconds histogram\n"), text);
        assertTrue(text.contains("# TYPE scissor_compressor_dead_letters_total counter\n"), text);
        // Kafka Streams' thread metrics (commit latency), and those of its embedded clients.
        assertTrue(text.contains("\nkafka_stream_thread_commit_latency_avg{"), text);
        assertTrue(text.contains("\nkafka_consumer_fetch_manager_records_lag_max{"), text);
        assertTrue(text.contains("\nkafka_producer_record_send_total{"), text);
    }
}
