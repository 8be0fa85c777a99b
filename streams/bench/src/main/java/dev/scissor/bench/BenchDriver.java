package dev.scissor.bench;

import dev.scissor.streams.CompressorApp;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;

/**
 * Drives one case's phases (throughput, then paced latency): produces the frames, samples the counters,
 * prints progress and fills a {@link BenchResult}.
 */
final class BenchDriver {

    /** Throughput phase: medians over this many equal slices. */
    static final int SLICES = 5;

    private final StreamsBenchOptions options;
    private final BenchFrames frames;
    private final PrintStream err;
    private final CompressorApp app;
    private final KafkaProducer<byte[], byte[]> producer;
    private final WindowReader reader;
    private final String topic;
    private final int streams;
    private final int warmupSeconds;
    private final Map<String, String> byteParts;
    private final byte[][] keys;
    private final long[] nextSeq;
    private final List<Metric> processMetrics = new ArrayList<>();
    private final AtomicLong sendErrors = new AtomicLong();
    private volatile Exception sendError;
    /** The phase, for the resource samples. */
    volatile String phase = "warm-up";

    private long sent;
    private int nextStream;

    BenchDriver(
            final StreamsBenchOptions options,
            final BenchFrames frames,
            final PrintStream err,
            final CompressorApp app,
            final KafkaProducer<byte[], byte[]> producer,
            final WindowReader reader,
            final String topic,
            final int streams,
            final int warmupSeconds,
            final Map<String, String> byteParts) {
        this.options = options;
        this.frames = frames;
        this.err = err;
        this.app = app;
        this.byteParts = byteParts;
        this.warmupSeconds = warmupSeconds;
        this.producer = producer;
        this.reader = reader;
        this.topic = topic;
        this.streams = streams;
        this.keys = new byte[streams][];
        this.nextSeq = new long[streams];
        for (int s = 0; s < streams; s++) {
            keys[s] = streamId(s).getBytes(StandardCharsets.UTF_8);
        }
        for (final Metric m : app.streams().metrics().values()) {
            if (m.metricName().name().equals("process-total")
                    && m.metricName().group().equals("stream-thread-metrics")) {
                processMetrics.add(m);
            }
        }
        if (processMetrics.isEmpty()) {
            throw new IllegalStateException("the application exposes no stream-thread process-total metric");
        }
    }

    private String streamId(final int s) {
        return "camera-" + s;
    }

    long processed() {
        double total = 0;
        for (final Metric m : processMetrics) {
            total += ((Number) m.metricValue()).doubleValue();
        }
        return (long) total;
    }

    /** Sends the next frame of the next stream, round-robin; the record's timestamp is now. */
    private void sendNext() {
        final int s = nextStream;
        nextStream = (nextStream + 1) % streams;
        final long seq = nextSeq[s]++;
        final long now = System.currentTimeMillis();
        final byte[] value = frames.encode(streamId(s), seq, now, s);
        producer.send(new ProducerRecord<>(topic, null, now, keys[s], value), (md, e) -> {
            if (e != null) {
                sendErrors.incrementAndGet();
                sendError = e;
            }
        });
        sent++;
    }

    private void checkHealthy() {
        if (app.failure() != null
                || app.state() == org.apache.kafka.streams.KafkaStreams.State.ERROR
                || app.state() == org.apache.kafka.streams.KafkaStreams.State.NOT_RUNNING) {
            throw new IllegalStateException("the application stopped: " + app.state()
                    + (app.failure() == null ? "" : " after " + app.failure()));
        }
        if (sendError != null) {
            throw new IllegalStateException(sendErrors.get() + " frame(s) could not be produced: " + sendError);
        }
        if (reader.failure != null) {
            throw new IllegalStateException("the window reader failed: " + reader.failure);
        }
    }

    BenchResult run() throws InterruptedException {
        final BenchResult r = new BenchResult(streams);
        // Frames ahead of the application: enough to keep it busy (fetches, several streams), small
        // enough that the topic and the application's input buffers stay bounded.
        final long maxLag = Math.max(64, 4L * streams);

        // --- Throughput phase: warm-up, then SLICES equal slices. ---
        final long t0 = System.nanoTime();
        final long warmEnd = t0 + TimeUnit.SECONDS.toNanos(warmupSeconds);
        final long sliceNanos = TimeUnit.SECONDS.toNanos(options.seconds) / SLICES;
        final double[] frameRates = new double[SLICES];
        final double[] windowRates = new double[SLICES];
        long nextProgress = t0 + TimeUnit.SECONDS.toNanos(2);
        long lastProgressT = t0;
        long lastProgressP = 0;
        long cachedProcessed = 0;
        long cachedAt = 0;
        int slice = -1;
        long sliceStart = 0;
        long sliceP = 0;
        long sliceW = 0;
        CpuSnapshot cpu0 = null;
        Map<String, Long> bytes0 = Map.of();
        long compute0 = 0;
        long processed0 = 0;
        while (true) {
            final long now = System.nanoTime();
            if (slice < 0 && now >= warmEnd) {
                phase = "throughput";
                slice = 0;
                sliceStart = now;
                sliceP = processed();
                sliceW = reader.windows.get();
                processed0 = sliceP;
                compute0 = reader.computeMicros.get();
                cpu0 = CpuSnapshot.take();
                bytes0 = brokerBytesIn();
            } else if (slice >= 0 && now - sliceStart >= sliceNanos) {
                final long p = processed();
                final long w = reader.windows.get();
                frameRates[slice] = (p - sliceP) * 1e9 / (now - sliceStart);
                windowRates[slice] = (w - sliceW) * 1e9 / (now - sliceStart);
                slice++;
                sliceStart = now;
                sliceP = p;
                sliceW = w;
                if (slice == SLICES) {
                    final CpuSnapshot cpu1 = CpuSnapshot.take();
                    r.cpu = cpu1.minus(cpu0);
                    r.cpuFrames = Math.max(1, p - processed0);
                    final Map<String, Long> bytes1 = brokerBytesIn();
                    for (final Map.Entry<String, Long> e : bytes1.entrySet()) {
                        final String part = byteParts.getOrDefault(e.getKey(), "other");
                        r.kbPerFrame.merge(
                                part,
                                (e.getValue() - bytes0.getOrDefault(e.getKey(), 0L)) / 1024.0 / r.cpuFrames,
                                Double::sum);
                    }
                    r.computeMsPerFrame = (reader.computeMicros.get() - compute0) / 1e3 / r.cpuFrames;
                    break;
                }
            }
            if (now - cachedAt > 2_000_000) {
                cachedProcessed = processed();
                cachedAt = now;
            }
            if (sent - cachedProcessed < maxLag) {
                sendNext();
            } else {
                Thread.sleep(1);
            }
            if (now >= nextProgress) {
                checkHealthy();
                final long p = processed();
                err.printf(
                        Locale.ROOT,
                        "[%d streams] throughput %s %4.0f s: %7d frames processed, %6.1f frames/s,"
                                + " %6d windows, backlog %d%n",
                        streams,
                        slice < 0 ? "warm-up" : "measure",
                        (now - t0) / 1e9,
                        p,
                        (p - lastProgressP) * 1e9 / (now - lastProgressT),
                        reader.windows.get(),
                        sent - p);
                lastProgressP = p;
                lastProgressT = now;
                nextProgress = now + TimeUnit.SECONDS.toNanos(2);
            }
        }
        r.framesPerSecond = median(frameRates);
        r.windowsPerSecond = median(windowRates);
        r.frameRange = new double[] {min(frameRates), max(frameRates)};
        err.printf(
                Locale.ROOT,
                "[%d streams] throughput: %.1f frames/s (slices %s), %.1f windows/s%n",
                streams,
                r.framesPerSecond,
                format(frameRates),
                r.windowsPerSecond);

        // --- Drain the backlog, so the latency phase starts from an idle application. ---
        producer.flush();
        awaitProcessed(Duration.ofSeconds(120));
        Thread.sleep(500);

        // --- Latency phase: paced frames, N x rate per second round-robin. ---
        phase = "paced";
        final double perStream =
                options.rate > 0 ? options.rate : Math.max(0.05, Math.min(2.0, 0.7 * r.framesPerSecond / streams));
        final double offered = streams * perStream;
        r.offered = offered;
        r.perStream = perStream;
        final long intervalNanos = (long) (1e9 / offered);
        final long l0 = System.nanoTime();
        final long wall0 = System.currentTimeMillis();
        final long measureFrom = wall0 + 2000;
        final long measureTo = measureFrom + TimeUnit.SECONDS.toMillis(options.latencySeconds);
        reader.latencyRange(measureFrom, measureTo);
        long due = l0;
        nextProgress = l0 + TimeUnit.SECONDS.toNanos(2);
        while (System.currentTimeMillis() < measureTo) {
            long now = System.nanoTime();
            while (now < due) {
                LockSupport.parkNanos(Math.min(due - now, 5_000_000));
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while pacing frames");
                }
                now = System.nanoTime();
            }
            sendNext();
            due += intervalNanos;
            if (now >= nextProgress) {
                checkHealthy();
                final long p = processed();
                final int n = reader.latencyCount();
                err.printf(
                        Locale.ROOT,
                        "[%d streams] latency at %.1f frames/s %4.0f s: %d frames processed, "
                                + "backlog %d, %d windows measured%s%n",
                        streams,
                        offered,
                        (now - l0) / 1e9,
                        p,
                        sent - p,
                        n,
                        n > 0 ? String.format(Locale.ROOT, ", p50 so far %.0f ms", reader.latencyPercentile(0.5)) : "");
                nextProgress = now + TimeUnit.SECONDS.toNanos(2);
            }
        }
        // Over capacity: the producer fell behind its schedule, or the application needs more than 2 s
        // to catch up with what was sent.
        final boolean lateProducer = System.nanoTime() - due > TimeUnit.SECONDS.toNanos(1);
        producer.flush();
        final long drain0 = System.nanoTime();
        final boolean drained = awaitProcessed(Duration.ofSeconds(60));
        r.overloaded = lateProducer || !drained || System.nanoTime() - drain0 > TimeUnit.SECONDS.toNanos(2);
        Thread.sleep(1500); // the last transaction commits within commit.interval.ms
        checkHealthy();
        r.latencyWindows = reader.latencyCount();
        r.p50 = reader.latencyPercentile(0.50);
        r.p99 = reader.latencyPercentile(0.99);
        r.maxLatency = reader.latencyPercentile(1.0);
        r.deadLetters = reader.deadLetters.get();
        r.overloaded |= offered > r.framesPerSecond;
        err.printf(
                Locale.ROOT,
                "[%d streams] latency at %.1f frames/s: p50 %.0f ms, p99 %.0f ms, max %.0f ms " + "over %d windows%s%n",
                streams,
                offered,
                r.p50,
                r.p99,
                r.maxLatency,
                r.latencyWindows,
                r.overloaded ? " (over capacity)" : "");
        return r;
    }

    /** Waits until the application has processed every frame sent; false on timeout. */
    private boolean awaitProcessed(final Duration timeout) throws InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        while (processed() < sent) {
            checkHealthy();
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** The broker's BytesIn count per topic (from its JMX metrics); empty when it exposes none. */
    private static Map<String, Long> brokerBytesIn() {
        final Map<String, Long> bytes = new HashMap<>();
        try {
            final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            for (final ObjectName name : server.queryNames(
                    new ObjectName("kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=*"), null)) {
                final String topic = name.getKeyProperty("topic");
                bytes.put(
                        topic.startsWith("\"") ? ObjectName.unquote(topic) : topic,
                        ((Number) server.getAttribute(name, "Count")).longValue());
            }
        } catch (final JMException | RuntimeException e) {
            bytes.clear(); // no broker metrics: the table is left out
        }
        return bytes;
    }

    private static double median(final double[] v) {
        final double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static double min(final double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(final double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static String format(final double[] v) {
        final StringBuilder sb = new StringBuilder();
        for (final double x : v) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", x));
        }
        return sb.toString();
    }
}
