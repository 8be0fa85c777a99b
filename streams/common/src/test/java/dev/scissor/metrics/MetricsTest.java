package dev.scissor.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void exportsMetersUnderTheNamesTheyAreGiven() {
        try (Metrics m = new Metrics()) {
            final LongAdder frames = new LongAdder();
            m.counter("scissor_frames_total", "Frames seen.", frames::sum, "stream", "cam \"1\"");
            frames.add(4);
            m.gauge("scissor_retention_ratio", "Tokens out over tokens in.", () -> 0.125);
            m.gauge("scissor_encode_seconds_total_ratio", "A gauge whose name has a counter's suffix inside.", () -> 2);
            System.gc(); // the registry holds what it reads
            final String text = m.scrape();
            assertTrue(text.contains("# TYPE scissor_frames_total counter\n"), text);
            assertTrue(text.contains("scissor_frames_total{stream=\"cam \\\"1\\\"\"} 4.0\n"), text);
            assertTrue(text.contains("# HELP scissor_retention_ratio Tokens out over tokens in.\n"), text);
            assertTrue(text.contains("# TYPE scissor_retention_ratio gauge\nscissor_retention_ratio 0.125\n"), text);
            assertTrue(text.contains("\nscissor_encode_seconds_total_ratio 2.0\n"), text);
            assertThrows(IllegalArgumentException.class, () -> m.counter("scissor_frames", "x", () -> 0));
        }
    }

    @Test
    void labelledGaugesFollowTheRowsReadWhenScraped() {
        try (Metrics m = new Metrics()) {
            final Map<Tags, Integer> lag = new ConcurrentHashMap<>();
            m.gauges("scissor_consumer_lag_records", "Lag per partition.", () -> Map.copyOf(lag));
            assertFalse(m.scrape().contains("scissor_consumer_lag_records{"));
            lag.put(Tags.of("topic", "frames", "partition", "0"), 3);
            lag.put(Tags.of("topic", "frames", "partition", "1"), 5);
            String text = m.scrape();
            assertTrue(text.contains("scissor_consumer_lag_records{partition=\"0\",topic=\"frames\"} 3.0\n"), text);
            assertTrue(text.contains("scissor_consumer_lag_records{partition=\"1\",topic=\"frames\"} 5.0\n"), text);
            lag.remove(Tags.of("topic", "frames", "partition", "0"));
            lag.put(Tags.of("topic", "frames", "partition", "1"), 7);
            text = m.scrape();
            assertFalse(text.contains("partition=\"0\""), text);
            assertTrue(text.contains("scissor_consumer_lag_records{partition=\"1\",topic=\"frames\"} 7.0\n"), text);
        }
    }

    @Test
    void aTimerWithServiceLevelObjectivesIsAHistogramWithThoseBuckets() {
        try (Metrics m = new Metrics()) {
            final Timer t = Timer.builder("scissor_latency_seconds")
                    .description("Latency.")
                    .serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(500), Duration.ofSeconds(2))
                    .register(m.registry());
            t.record(1, TimeUnit.MILLISECONDS);
            t.record(300, TimeUnit.MILLISECONDS);
            t.record(3, TimeUnit.SECONDS);
            final String text = m.scrape();
            for (final String line : new String[] {
                "# TYPE scissor_latency_seconds histogram",
                "scissor_latency_seconds_bucket{le=\"0.005\"} 1",
                "scissor_latency_seconds_bucket{le=\"0.5\"} 2",
                "scissor_latency_seconds_bucket{le=\"2.0\"} 2",
                "scissor_latency_seconds_bucket{le=\"+Inf\"} 3",
                "scissor_latency_seconds_count 3",
                "scissor_latency_seconds_sum 3.301"
            }) {
                assertTrue(text.contains(line + "\n"), line + " in\n" + text);
            }
        }
    }

    @Test
    void aKafkaBindingExportsTheClientsMetricsUntilItIsClosed() {
        final Properties p = new Properties();
        p.put("bootstrap.servers", "127.0.0.1:9"); // never polled: nothing connects
        p.put("group.id", "metrics-test");
        p.put("client.id", "metrics-test-consumer");
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            final Metrics m = new Metrics();
            final Metrics.KafkaBinding binding = m.bindKafka(consumer);
            assertTrue(
                    m.scrape()
                            .contains(
                                    "kafka_consumer_fetch_manager_records_lag_max{client_id=\"metrics-test-consumer\","),
                    m.scrape());
            binding.close();
            assertFalse(m.scrape().contains("kafka_consumer_"), m.scrape());
            binding.close();
            // The registry closes the bindings still open.
            m.bindKafka(consumer);
            assertTrue(m.scrape().contains("kafka_consumer_coordinator_commit_latency_avg{"), m.scrape());
            m.close();
            assertFalse(m.scrape().contains("kafka_consumer_"), m.scrape());
        }
    }
}
