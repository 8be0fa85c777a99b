package dev.scissor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code scissor bench-streams} end to end, shortened: an in-process broker, the compressor application and two
 * streams of real-sized frames; the report must hold a row with positive throughput and latency figures.
 */
class StreamsBenchIT {

    /** | streams | frames/s | (slices) | windows/s | 2-fps cameras | latency load | p50 ms | p99 ms | windows | */
    private static final Pattern ROW = Pattern.compile(
            "(?m)^\\| 2 \\| ([0-9.]+) \\| [0-9]+-[0-9]+ \\| ([0-9.]+) \\| (\\d+) \\| [^|]+ \\| (\\d+) \\| (\\d+) \\| (\\d+) \\|$");

    /** | streams | t s | phase | frames/s | heap used MB | heap after GC MB | state MB | p99 ms | */
    private static final Pattern SAMPLE = Pattern.compile(
            "(?m)^\\| 2 \\| \\d+ \\| (warm-up|throughput|paced) \\| [0-9.]+ \\| (\\d+) \\| (?:\\d+|n/a) \\| (\\d+) \\| "
                    + "(?:\\d+|-) \\|$");

    @Test
    void shortRunReportsPositiveThroughputAndLatency() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int rc = StreamsBench.run(
                new String[] {
                    "--quick",
                    "--streams",
                    "2",
                    "--warmup",
                    "1",
                    "--seconds",
                    "5",
                    "--latency-seconds",
                    "3",
                    "--rate",
                    "5",
                    "--sample-seconds",
                    "2"
                },
                print(out),
                print(err));
        final String report = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, () -> report + "\n--- stderr ---\n" + err.toString(StandardCharsets.UTF_8));
        final Matcher m = ROW.matcher(report);
        assertTrue(m.find(), () -> "no result row for 2 streams in:\n" + report);
        assertTrue(Double.parseDouble(m.group(1)) > 0, "frames/s");
        assertTrue(Double.parseDouble(m.group(2)) > 0, "windows/s");
        final long p50 = Long.parseLong(m.group(4));
        final long p99 = Long.parseLong(m.group(5));
        assertTrue(p50 > 0 && p99 >= p50, () -> "p50 " + p50 + " ms, p99 " + p99 + " ms");
        assertTrue(Long.parseLong(m.group(6)) > 0, "windows measured for latency");
        assertTrue(report.contains("BLAS: "), report);
        assertTrue(report.contains("| streams | machine cores |"), report);
        // Heap and state-directory samples: several, the state directory (RocksDB) not empty by the paced phase.
        final Matcher sample = SAMPLE.matcher(report);
        int samples = 0;
        long lastState = -1;
        while (sample.find()) {
            samples++;
            assertTrue(Long.parseLong(sample.group(2)) > 0, "heap used");
            lastState = Long.parseLong(sample.group(3));
        }
        assertTrue(samples >= 3, () -> "heap and state samples in:\n" + report);
        assertTrue(lastState >= 0, "state dir size");
    }

    @Test
    void badArgumentsExitWithTwoAndHelpWithZero() {
        for (final String[] args : new String[][] {
            {"--streams", "0"},
            {"--streams", "1,x"},
            {"--bogus"},
            {"--rate", "-1"},
            {"--compression", "brotli"},
            {"--seconds", "2"},
            {"--set", "scissor.window.frames=0"},
            {"--minutes", "3", "--latency-seconds", "60"},
            {"--minutes", "0"},
            {"--sample-seconds", "0"}
        }) {
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(
                    2, StreamsBench.run(args, print(new ByteArrayOutputStream()), print(err)), String.join(" ", args));
            assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("scissor bench-streams: "));
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, StreamsBench.run(new String[] {"--help"}, print(out), print(new ByteArrayOutputStream())));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: scissor bench-streams"));
    }

    private static PrintStream print(final ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
