package dev.scissor.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

/** CPU time per thread category, the process, and (on Linux) the whole machine. */
final class CpuSnapshot {

    /** Which part of the deployment a thread belongs to, by its name. */
    enum Category {
        STREAM,
        APP_IO,
        BROKER,
        BENCH;

        static Category of(final String name) {
            if (name.startsWith("kafka-producer-network-thread")) {
                return name.contains(BenchCase.PRODUCER_ID) ? BENCH : APP_IO;
            }
            if (name.contains("StreamThread")) {
                return STREAM;
            }
            if (name.equals("main") || name.startsWith(WindowReader.READER_THREAD)) {
                return BENCH;
            }
            if (name.contains("scissor-bench-n")) { // the application's admin, heartbeat and cleanup threads
                return APP_IO;
            }
            return BROKER; // and any other JVM thread
        }
    }

    final long wallNanos;
    final long processNanos;
    final long machineBusyTicks;
    final long machineTotalTicks;
    final Map<Long, Long> threadNanos;
    final Map<Long, Category> categories;
    final Map<Category, Long> byCategory = new HashMap<>();

    private CpuSnapshot(
            final long wall,
            final long process,
            final long busy,
            final long total,
            final Map<Long, Long> threadNanos,
            final Map<Long, Category> categories) {
        this.wallNanos = wall;
        this.processNanos = process;
        this.machineBusyTicks = busy;
        this.machineTotalTicks = total;
        this.threadNanos = threadNanos;
        this.categories = categories;
    }

    static CpuSnapshot take() {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final Map<Long, Long> cpu = new HashMap<>();
        final Map<Long, Category> cat = new HashMap<>();
        for (final ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            final long ns = mx.getThreadCpuTime(t.getThreadId());
            if (ns >= 0) {
                cpu.put(t.getThreadId(), ns);
                cat.put(t.getThreadId(), Category.of(t.getThreadName()));
            }
        }
        long process = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            process = os.getProcessCpuTime();
        }
        long busy = -1;
        long total = -1;
        try {
            final String[] f =
                    Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
            total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            busy = total - Long.parseLong(f[4]) - Long.parseLong(f[5]); // minus idle and iowait
        } catch (final IOException | RuntimeException e) {
            busy = -1;
            total = -1;
        }
        return new CpuSnapshot(System.nanoTime(), process, busy, total, cpu, cat);
    }

    /** The CPU spent between {@code before} and this snapshot. */
    CpuSnapshot minus(final CpuSnapshot before) {
        final Map<Long, Long> delta = new HashMap<>();
        threadNanos.forEach((id, ns) -> delta.put(id, ns - before.threadNanos.getOrDefault(id, 0L)));
        final CpuSnapshot d = new CpuSnapshot(
                wallNanos - before.wallNanos,
                processNanos - before.processNanos,
                machineBusyTicks < 0 || before.machineBusyTicks < 0 ? -1 : machineBusyTicks - before.machineBusyTicks,
                machineTotalTicks < 0 || before.machineTotalTicks < 0
                        ? -1
                        : machineTotalTicks - before.machineTotalTicks,
                delta,
                categories);
        delta.forEach((id, ns) -> d.byCategory.merge(categories.get(id), ns, Long::sum));
        return d;
    }

    long get(final Category c) {
        return byCategory.getOrDefault(c, 0L);
    }

    long threadTotal() {
        return byCategory.values().stream().mapToLong(Long::longValue).sum();
    }

    double cores(final long nanos) {
        return nanos / (double) wallNanos;
    }

    /** Busy cores of the whole machine (all processes), or NaN. */
    double machineCores() {
        if (machineTotalTicks <= 0) {
            return Double.NaN;
        }
        return Runtime.getRuntime().availableProcessors() * machineBusyTicks / (double) machineTotalTicks;
    }
}
