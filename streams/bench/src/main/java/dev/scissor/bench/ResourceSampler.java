package dev.scissor.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Samples, every few seconds on its own daemon thread, what a long run needs watched: the JVM's heap
 * (used now, live after the last collection, and committed), the process's resident memory (heap, RocksDB's
 * off-heap caches and memtables, direct buffers, native libraries) and open file descriptors (on
 * Linux), the size on disk of a Kafka Streams state directory (RocksDB files and checkpoints), and
 * the run's progress. Each sample goes to a consumer;
 * one is taken at start and one at {@link #close()}.
 */
final class ResourceSampler implements AutoCloseable {

    /** The run's progress at a sample. */
    record Progress(String phase, long frames, long windows, int latencies) {}

    /** The p-quantile latency (ms) of the windows measured from the {@code from}-th on. */
    @FunctionalInterface
    interface Percentile {
        double since(int from, double q);
    }

    /**
     * One sample.
     *
     * @param seconds seconds since the sampler started
     * @param phase the run's phase
     * @param heapUsedBytes heap in use now (live and garbage)
     * @param heapAfterGcBytes heap in use after the last collection of each heap pool (live data); -1 before any
     * @param heapMaxBytes the heap's limit, -1 if none
     * @param heapCommittedBytes heap memory the JVM has committed (its part of the resident memory at most)
     * @param rssBytes the process's resident set size; -1 where {@code /proc/self/status} is not readable
     * @param openFiles the process's open file descriptors; -1 where {@code /proc/self/fd} is not readable
     * @param stateBytes the state directory's size (its files' lengths)
     * @param frames frames processed so far
     * @param windows windows received so far
     * @param framesPerSecond frames processed per second since the previous sample
     * @param p99Ms p99 latency of the windows measured since the previous sample; NaN if none
     */
    record Sample(
            double seconds,
            String phase,
            long heapUsedBytes,
            long heapAfterGcBytes,
            long heapMaxBytes,
            long heapCommittedBytes,
            long rssBytes,
            long openFiles,
            long stateBytes,
            long frames,
            long windows,
            double framesPerSecond,
            double p99Ms) {

        /** The sample as one progress line. */
        String line() {
            return String.format(
                    Locale.ROOT,
                    "t=%4.0f s %-10s heap used %s, after GC %s (max %s, committed %s), RSS "
                            + "%s, %d open files, state dir %s, %d frames (%.1f/s), %d windows, p99 %s",
                    seconds,
                    phase,
                    mb(heapUsedBytes),
                    mb(heapAfterGcBytes),
                    mb(heapMaxBytes),
                    mb(heapCommittedBytes),
                    mb(rssBytes),
                    openFiles,
                    mb(stateBytes),
                    frames,
                    framesPerSecond,
                    windows,
                    Double.isNaN(p99Ms) ? "-" : String.format(Locale.ROOT, "%.0f ms", p99Ms));
        }

        static String mb(final long bytes) {
            return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f MB", bytes / 1048576.0);
        }
    }

    private final Path stateDir;
    private final long periodNanos;
    private final Supplier<Progress> progress;
    private final Percentile latency;
    private final Consumer<Sample> sink;
    private final Thread thread;
    private final long t0 = System.nanoTime();
    private long lastNanos = t0;
    private long lastFrames;
    private int lastLatencies;
    private volatile boolean running = true;

    private ResourceSampler(
            final Path stateDir,
            final int periodSeconds,
            final Supplier<Progress> progress,
            final Percentile latency,
            final Consumer<Sample> sink) {
        this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
        this.periodNanos = TimeUnit.SECONDS.toNanos(periodSeconds);
        this.progress = progress;
        this.latency = latency;
        this.sink = sink;
        this.thread = new Thread(this::loop, "scissor-bench-sampler");
        this.thread.setDaemon(true);
    }

    /**
     * Starts sampling.
     *
     * @param stateDir the state directory to measure
     * @param periodSeconds seconds between samples, at least 1
     * @param progress the run's progress, read at each sample
     * @param latency latency percentiles of the windows measured so far
     * @param sink receives each sample, on the sampler's thread (the last one on the closing thread)
     * @return the running sampler; close it to take the last sample and stop
     */
    static ResourceSampler start(
            final Path stateDir,
            final int periodSeconds,
            final Supplier<Progress> progress,
            final Percentile latency,
            final Consumer<Sample> sink) {
        if (periodSeconds < 1) {
            throw new IllegalArgumentException("the sampling period must be at least 1 s, got " + periodSeconds);
        }
        final ResourceSampler s = new ResourceSampler(stateDir, periodSeconds, progress, latency, sink);
        s.thread.start();
        return s;
    }

    private void loop() {
        long next = t0;
        while (running) {
            final long now = System.nanoTime();
            if (now >= next) {
                sample();
                next += periodNanos;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(1, Math.min(200_000_000L, next - System.nanoTime())));
            } catch (final InterruptedException e) {
                return;
            }
        }
    }

    /** Takes one sample and hands it to the sink. */
    synchronized void sample() {
        final long now = System.nanoTime();
        final Progress p = progress.get();
        final MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        final double dt = (now - lastNanos) / 1e9;
        final double fps = dt > 0 ? (p.frames() - lastFrames) / dt : 0;
        final double p99 = p.latencies() > lastLatencies ? latency.since(lastLatencies, 0.99) : Double.NaN;
        lastNanos = now;
        lastFrames = p.frames();
        lastLatencies = p.latencies();
        sink.accept(new Sample(
                (now - t0) / 1e9,
                p.phase(),
                heap.getUsed(),
                heapAfterGc(),
                heap.getMax(),
                heap.getCommitted(),
                residentBytes(),
                openFiles(),
                sizeOnDisk(stateDir),
                p.frames(),
                p.windows(),
                fps,
                p99));
    }

    /** The process's resident set size ({@code VmRSS} of {@code /proc/self/status}); -1 where unavailable. */
    static long residentBytes() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
                }
            }
            return -1;
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The process's open file descriptors (entries of {@code /proc/self/fd}); -1 where unavailable. */
    static long openFiles() {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (final IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** Heap in use after the last collection of each heap pool: the live data; -1 before any collection. */
    static long heapAfterGc() {
        long total = 0;
        boolean any = false;
        for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            final MemoryUsage u = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (u != null) {
                total += u.getUsed();
                any = true;
            }
        }
        return any ? total : -1;
    }

    /**
     * The size of a directory tree: the sum of its files' lengths. Files that vanish while it walks (RocksDB
     * compactions) are skipped.
     */
    static long sizeOnDisk(final Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        final long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) {
                    total[0] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (final NoSuchFileException gone) {
            return total[0];
        } catch (final IOException e) {
            throw new UncheckedIOException("could not measure " + dir, e);
        }
        return total[0];
    }

    /** Takes the last sample and stops. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
        sample();
    }
}
