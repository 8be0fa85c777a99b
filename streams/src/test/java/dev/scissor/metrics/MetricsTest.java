package dev.scissor.metrics;

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
}
