package dev.scissor.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void writesThePrometheusTextFormat() {
        final Metrics m = new Metrics();
        final Metrics.Counter frames = m.counter("scissor_frames_total", "Frames seen.");
        frames.add(3);
        frames.inc();
        m.gauge("scissor_retention_ratio", "Tokens out over tokens in.", () -> 0.125);
        m.register("scissor_stream_frames", "gauge", "Per stream.", () -> List.of(
                new Metrics.Sample(Map.of("stream", "cam \"1\"", "app", "c"), 7)));
        assertEquals(String.join("\n",
                "# HELP scissor_frames_total Frames seen.",
                "# TYPE scissor_frames_total counter",
                "scissor_frames_total 4",
                "# HELP scissor_retention_ratio Tokens out over tokens in.",
                "# TYPE scissor_retention_ratio gauge",
                "scissor_retention_ratio 0.125000",
                "# HELP scissor_stream_frames Per stream.",
                "# TYPE scissor_stream_frames gauge",
                "scissor_stream_frames{app=\"c\",stream=\"cam \\\"1\\\"\"} 7",
                ""), m.scrape());
    }

    @Test
    void rejectsBadNamesDuplicatesAndDecrements() {
        final Metrics m = new Metrics();
        assertThrows(IllegalArgumentException.class, () -> m.counter("bad-name", "x"));
        m.counter("a_total", "x");
        assertThrows(IllegalArgumentException.class, () -> m.counter("a_total", "x"));
        assertThrows(IllegalArgumentException.class, () -> m.counter("b_total", "x").add(-1));
    }

    @Test
    void writesHistogramsWithCumulativeBucketsSumAndCount() {
        final Metrics m = new Metrics();
        final Metrics.Histogram h = m.histogram("scissor_latency_seconds", "Latency.", 0.005, 0.5, 2);
        h.observe(0.001);
        h.observe(0.005); // on a bound: counts in that bucket (le = less or equal)
        h.observe(0.3);
        h.observe(7.5);
        h.observe(Double.NaN); // ignored
        assertEquals(String.join("\n",
                "# HELP scissor_latency_seconds Latency.",
                "# TYPE scissor_latency_seconds histogram",
                "scissor_latency_seconds_bucket{le=\"0.005\"} 2",
                "scissor_latency_seconds_bucket{le=\"0.5\"} 3",
                "scissor_latency_seconds_bucket{le=\"2\"} 3",
                "scissor_latency_seconds_bucket{le=\"+Inf\"} 4",
                "scissor_latency_seconds_sum 7.80600",
                "scissor_latency_seconds_count 4",
                ""), m.scrape());
        assertEquals(4, h.count());
        assertArrayEquals(new long[] {2, 3, 3, 4}, h.cumulativeCounts());
    }

    @Test
    void rejectsBadHistograms() {
        final Metrics m = new Metrics();
        assertThrows(IllegalArgumentException.class, () -> m.histogram("h_seconds", "x"));
        assertThrows(IllegalArgumentException.class, () -> m.histogram("h_seconds", "x", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> m.histogram("h_seconds", "x", 1, Double.POSITIVE_INFINITY));
        m.histogram("h_seconds", "x", 1);
        assertThrows(IllegalArgumentException.class, () -> m.counter("h_seconds", "x"));
        assertArrayEquals(new double[] {0.001, 0.002, 0.004}, Metrics.exponentialBuckets(0.001, 2, 3));
    }
}
