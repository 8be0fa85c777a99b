package dev.scissor.bench;

import dev.scissor.encoder.capture.CapturedFrame;
import dev.scissor.encoder.media.JpegEncoder;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The measuring helpers of {@code bench-encoder}: per-frame costs, CPU clocks, medians and report rows. */
final class EncoderBenchCosts {

    /** Wall-clock and CPU time of one measurement, per frame. */
    record Cost(double wallMs, double cpuMs) {}

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private EncoderBenchCosts() {}

    static long threadCpu() {
        return THREADS.getCurrentThreadCpuTime();
    }

    static void row(final PrintStream out, final String what, final Cost c) {
        out.printf(Locale.ROOT, "  %-66s wall %7.2f ms  cpu %7.2f ms%n", what, c.wallMs(), c.cpuMs());
    }

    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static String loadAverage() {
        final double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", l);
    }

    /** CPU nanoseconds per thread group: capture threads, the encoder thread, our Kafka clients, the rest. */
    static Map<String, Long> cpuByGroup() {
        final Map<String, Long> g = new LinkedHashMap<>();
        for (final String k : new String[] {"capture", "encoder", "clients", "other java"}) {
            g.put(k, 0L);
        }
        for (final ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            final long cpu = THREADS.getThreadCpuTime(t.getThreadId());
            if (cpu < 0) {
                continue;
            }
            final String n = t.getThreadName();
            final String group = n.startsWith("capture-")
                    ? "capture"
                    : n.equals("scissor-encoder")
                            ? "encoder"
                            : n.contains("scissor-capture") || n.contains("scissor-encoder") ? "clients" : "other java";
            g.merge(group, cpu, Long::sum);
        }
        return g;
    }

    static Cost perFrame(
            final List<CapturedFrame> frames, final JpegEncoder enc, final int repeats, final long[] meanBytes)
            throws Exception {
        final Cost[] runs = new Cost[repeats];
        for (int r = 0; r < repeats; r++) {
            long bytes = 0;
            final long t0 = System.nanoTime();
            final long c0 = threadCpu();
            for (final CapturedFrame f : frames) {
                bytes += enc.encode(f.bgr(), f.width(), f.height()).length;
            }
            runs[r] =
                    new Cost((System.nanoTime() - t0) / 1e6 / frames.size(), (threadCpu() - c0) / 1e6 / frames.size());
            meanBytes[0] = bytes / frames.size();
        }
        return median(runs);
    }

    static String cpuName() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (final java.io.IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /** The run with the median CPU time. */
    static Cost median(final Cost[] v) {
        final Cost[] s = v.clone();
        Arrays.sort(s, java.util.Comparator.comparingDouble(Cost::cpuMs));
        return s[s.length / 2];
    }
}
