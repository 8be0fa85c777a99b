package dev.scissor.bench;

import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.bench.SyntheticVideo;
import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.cli.CommandLines.KeyValue;
import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.kafka.KafkaTopics;
import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.streams.CompressorTopology;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scissor bench-streams}: the frames per second the compressor application sustains on this
 * machine, through a real (in-process KRaft) broker, and the end-to-end latency of a window.
 *
 * <p>One JVM holds the broker, one {@link CompressorApp} (exactly_once_v2, commit.interval.ms 100)
 * and the benchmark's producer and {@code read_committed} reader, so all of them share this
 * machine's cores, as they would on a single-box deployment. For each stream count N a fresh
 * application id and fresh topics are used, so cases do not interfere. Each case has two phases:
 *
 * <ol>
 *   <li><b>Throughput</b>: the producer keeps a bounded backlog of frames ahead of the application
 *       (saturation without an unbounded topic), round-robin over the N streams; after a warm-up,
 *       frames/s is the application's processed-record count per second and windows/s the windows
 *       the reader receives per second, each the median over several equal slices of the phase.
 *   <li><b>Latency</b>: after the backlog drains, the producer paces frames at a sustainable rate
 *       per stream: 2 fps (video LLMs sample at 2 fps), or 70% of the measured maximum spread over
 *       the streams where 2 fps per stream would be more than that, or {@code --rate}. Latency is the
 *       time from a token record's CreateTime (set by the producer at send, and copied by the
 *       compressor onto the window it triggers) to the moment the reader receives the committed
 *       window.
 * </ol>
 *
 * <p>Throughout each case a {@link ResourceSampler} records, every {@code --sample-seconds}, the heap (used, and
 * live after the last collection), the application's state directory size (RocksDB) and the p99 latency since the
 * previous sample; {@code --minutes M} makes the paced phase a long run of M minutes to watch them for growth.
 *
 * <p>Frames are real-sized (14 x 14 tokens of dim 816, float32: 627 KB per record) from the
 * realistic golden video when {@code ../shared/golden} is present (else a synthetic video), played
 * forwards and backwards so consecutive frames stay a plausible video, and pre-encoded: per record
 * only the small Avro head (stream id, sequence, timestamps) is serialized and spliced in front of
 * the pre-encoded tensor, so the producer is not the bottleneck.
 */
public final class StreamsBench {

    private static final int GRID = 14;
    private static final int N = GRID * GRID;
    private static final int DIM = 816;
    private static final String MODEL = "bench-encoder";
    private static final String PRODUCER_ID = "scissor-bench-producer";
    private static final String READER_THREAD = "scissor-bench-reader";
    /** Throughput phase: medians over this many equal slices. */
    private static final int SLICES = 5;

    private final Options options;
    private final PrintStream out;
    private final PrintStream err;
    private final FrameSource frames;

    private StreamsBench(final Options options, final FrameSource frames, final PrintStream out,
            final PrintStream err) {
        this.options = options;
        this.frames = frames;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the benchmark from the command line.
     *
     * @param args see {@link #run}
     */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the benchmark.
     *
     * @param args the options, see {@code --help}
     * @param out the report
     * @param err progress and errors
     * @return 0 when done, 1 when the benchmark failed (broker, application, dead letters), 2 for bad
     *     arguments
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new Options(out, err), args, out, err);
    }

    private static int run(final Options options, final PrintStream out, final PrintStream err) {
        try {
            // Validate the application settings once, before anything starts.
            new CompressorConfig(options.appSettings("localhost:9092", "probe", "probe-tokens", "probe-windows",
                    "probe-dlq", Paths.get(".")));
        } catch (final ConfigException e) {
            err.println("scissor bench-streams: " + e.getMessage()
                    + "\n(run 'scissor compressor --describe-config' for every setting)");
            return 2;
        }
        AvroTrust.trustGeneratedClasses();
        final FrameSource frames;
        try {
            frames = FrameSource.load(options.synthetic);
        } catch (final IOException | RuntimeException e) {
            err.println("scissor bench-streams: could not prepare the token frames: " + e);
            return 1;
        }
        // Ctrl-C interrupts the run, which then closes the application and the broker and deletes their
        // data (gigabytes under the temporary directory) before the JVM exits.
        final Thread caller = Thread.currentThread();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            caller.interrupt();
            try {
                done.await(60, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "scissor-bench-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return new StreamsBench(options, frames, out, err).runAll();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("scissor bench-streams: interrupted");
            return 1;
        } catch (final RuntimeException e) {
            err.println("scissor bench-streams: failed: " + e);
            return 1;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is running and waits for this cleanup
            }
        }
    }

    private int runAll() throws InterruptedException {
        final long perCase = options.warmupSeconds + options.seconds + options.latencySeconds + 2 + 12;
        err.printf(Locale.ROOT, "bench-streams: %d case(s) %s, about %d s in all; frames from %s%n",
                options.streams.length, Arrays.toString(options.streams),
                perCase * options.streams.length + 2L * options.warmupSeconds, frames.source);
        final List<Result> results = new ArrayList<>();
        // Segments roll (and the log cleaner compacts the changelogs) as they would in steady state, and
        // retention checks run often, so that the disk holds only a few GB however long the run.
        final Map<String, String> broker = Map.of(
                "log.segment.bytes", Integer.toString(64 << 20),
                "log.retention.check.interval.ms", "5000");
        try (EmbeddedKafka kafka = startBroker(broker)) {
            for (int c = 0; c < options.streams.length; c++) {
                // The first case also warms the JVM up: the JIT compiles the broker, clients and compressor.
                final int warmup = c == 0 ? 3 * options.warmupSeconds : options.warmupSeconds;
                final Result r = runCase(kafka, options.streams[c], c, warmup);
                if (r.deadLetters > 0) {
                    err.printf("bench-streams: %d dead letter(s) with %d streams: the benchmark's frames were "
                            + "rejected; see the log above%n", r.deadLetters, r.streams);
                    return 1;
                }
                results.add(r);
            }
        }
        report(results);
        return 0;
    }

    /** Starts the broker; the test kit's start-up lines on standard output go to standard error. */
    private static EmbeddedKafka startBroker(final Map<String, String> config) {
        final PrintStream stdout = System.out;
        System.setOut(System.err);
        try {
            return EmbeddedKafka.start(config);
        } finally {
            System.setOut(stdout);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // One case: N streams, fresh topics and application id.

    private Result runCase(final EmbeddedKafka kafka, final int streams, final int index, final int warmupSeconds)
            throws InterruptedException {
        final String tag = "n" + streams + "-c" + index;
        final String appId = "scissor-bench-" + tag;
        final String tokensTopic = "bench-" + tag + "-tokens";
        final String windowsTopic = "bench-" + tag + "-windows";
        final String dlqTopic = "bench-" + tag + "-dlq";
        final Admin admin = kafka.admin();
        final Map<String, Integer> topics = new LinkedHashMap<>();
        topics.put(tokensTopic, options.partitions);
        topics.put(windowsTopic, options.partitions);
        topics.put(dlqTopic, options.partitions);
        final Path stateDir;
        try {
            stateDir = Files.createTempDirectory("scissor-bench-state-");
        } catch (final IOException e) {
            throw new UncheckedIOException("could not create a state directory", e);
        }
        err.printf(Locale.ROOT, "[%d streams] creating topics and starting the application %s%n", streams, appId);
        try {
            KafkaTopics.ensure(admin, topics, (short) 1, Map.of(
                    "max.message.bytes", Integer.toString(CompressorTopology.MAX_MESSAGE_BYTES),
                    "segment.bytes", Integer.toString(64 << 20),
                    "retention.bytes", Integer.toString(256 << 20)), Duration.ofSeconds(60));
            final CompressorConfig config = new CompressorConfig(options.appSettings(kafka.bootstrapServers(), appId,
                    tokensTopic, windowsTopic, dlqTopic, stateDir));
            try (CompressorApp app = new CompressorApp(config);
                 KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers());
                 WindowReader reader = new WindowReader(kafka.bootstrapServers(), windowsTopic, dlqTopic)) {
                app.start();
                if (!app.awaitRunning(Duration.ofSeconds(120))) {
                    throw new IllegalStateException("the application did not reach RUNNING in 120 s (state "
                            + app.state() + ")" + (app.failure() == null ? "" : ": " + app.failure()));
                }
                reader.start();
                final Map<String, String> byteParts = new LinkedHashMap<>();
                byteParts.put(tokensTopic, "tokens");
                byteParts.put(appId + "-" + CompressorTopology.FRAME_STORE + "-changelog", "frame-store changelog");
                byteParts.put(windowsTopic, "windows");
                byteParts.put(appId + "-" + CompressorTopology.LATEST_STORE + "-changelog", "latest-window changelog");
                byteParts.put(appId + "-" + CompressorTopology.STATE_STORE + "-changelog", "stream-state changelog");
                final Driver driver = new Driver(app, producer, reader, tokensTopic, streams, warmupSeconds, byteParts);
                final List<ResourceSampler.Sample> samples = new ArrayList<>();
                final Result result;
                try (ResourceSampler sampler = ResourceSampler.start(stateDir, options.sampleSeconds, () -> {
                    final int measured = reader.latencyCount();
                    return new ResourceSampler.Progress(driver.phase, driver.processed(), reader.windows.get(),
                            measured);
                }, reader::latencyPercentile, sample -> {
                    samples.add(sample);
                    err.printf(Locale.ROOT, "[%d streams] %s%n", streams, sample.line());
                })) {
                    result = driver.run();
                }
                result.samples.addAll(samples);
                return result;
            }
        } finally {
            deleteTopics(admin, appId, topics.keySet());
            try {
                org.apache.kafka.common.utils.Utils.delete(stateDir.toFile());
            } catch (final IOException e) {
                err.println("bench-streams: could not delete " + stateDir + ": " + e);
            }
        }
    }

    private KafkaProducer<byte[], byte[]> producer(final String bootstrap) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, PRODUCER_ID);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, options.compression);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, CompressorTopology.MAX_MESSAGE_BYTES);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L << 20);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Deletes the case's topics and the application's internal topics; best effort. */
    private void deleteTopics(final Admin admin, final String appId, final Set<String> topics) {
        try {
            final Set<String> doomed = new TreeSet<>(topics);
            for (final String t : admin.listTopics().names().get(30, TimeUnit.SECONDS)) {
                if (t.startsWith(appId + "-")) {
                    doomed.add(t);
                }
            }
            admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
        } catch (final Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            err.println("bench-streams: could not delete the topics of " + appId + ": " + e);
        }
    }

    /** Drives one case's phases: produces, samples the counters, prints progress. */
    private final class Driver {
        final CompressorApp app;
        final KafkaProducer<byte[], byte[]> producer;
        final WindowReader reader;
        final String topic;
        final int streams;
        final int warmupSeconds;
        final Map<String, String> byteParts;
        final byte[][] keys;
        final long[] nextSeq;
        final List<Metric> processMetrics = new ArrayList<>();
        final AtomicLong sendErrors = new AtomicLong();
        volatile Exception sendError;
        /** The phase, for the resource samples. */
        volatile String phase = "warm-up";
        long sent;
        int nextStream;

        Driver(final CompressorApp app, final KafkaProducer<byte[], byte[]> producer, final WindowReader reader,
                final String topic, final int streams, final int warmupSeconds, final Map<String, String> byteParts) {
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

        String streamId(final int s) {
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
        void sendNext() {
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

        void checkHealthy() {
            if (app.failure() != null || app.state() == org.apache.kafka.streams.KafkaStreams.State.ERROR
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

        Result run() throws InterruptedException {
            final Result r = new Result(streams);
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
                            r.kbPerFrame.merge(part, (e.getValue() - bytes0.getOrDefault(e.getKey(), 0L)) / 1024.0
                                    / r.cpuFrames, Double::sum);
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
                    err.printf(Locale.ROOT, "[%d streams] throughput %s %4.0f s: %7d frames processed, %6.1f frames/s,"
                                    + " %6d windows, backlog %d%n", streams, slice < 0 ? "warm-up" : "measure",
                            (now - t0) / 1e9, p, (p - lastProgressP) * 1e9 / (now - lastProgressT),
                            reader.windows.get(), sent - p);
                    lastProgressP = p;
                    lastProgressT = now;
                    nextProgress = now + TimeUnit.SECONDS.toNanos(2);
                }
            }
            r.framesPerSecond = median(frameRates);
            r.windowsPerSecond = median(windowRates);
            r.frameRange = new double[] {min(frameRates), max(frameRates)};
            err.printf(Locale.ROOT, "[%d streams] throughput: %.1f frames/s (slices %s), %.1f windows/s%n", streams,
                    r.framesPerSecond, format(frameRates), r.windowsPerSecond);

            // --- Drain the backlog, so the latency phase starts from an idle application. ---
            producer.flush();
            awaitProcessed(Duration.ofSeconds(120));
            Thread.sleep(500);

            // --- Latency phase: paced frames, N x rate per second round-robin. ---
            phase = "paced";
            final double perStream = options.rate > 0 ? options.rate
                    : Math.max(0.05, Math.min(2.0, 0.7 * r.framesPerSecond / streams));
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
                    err.printf(Locale.ROOT, "[%d streams] latency at %.1f frames/s %4.0f s: %d frames processed, "
                                    + "backlog %d, %d windows measured%s%n", streams, offered, (now - l0) / 1e9, p,
                            sent - p, n, n > 0 ? String.format(Locale.ROOT, ", p50 so far %.0f ms",
                                    reader.latencyPercentile(0.5)) : "");
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
            err.printf(Locale.ROOT, "[%d streams] latency at %.1f frames/s: p50 %.0f ms, p99 %.0f ms, max %.0f ms "
                    + "over %d windows%s%n", streams, offered, r.p50, r.p99, r.maxLatency, r.latencyWindows,
                    r.overloaded ? " (over capacity)" : "");
            return r;
        }

        /** Waits until the application has processed every frame sent; false on timeout. */
        boolean awaitProcessed(final Duration timeout) throws InterruptedException {
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
    }

    // ------------------------------------------------------------------------------------------------
    // Report.

    private void report(final List<Result> results) {
        final CompressorConfig probe = new CompressorConfig(
                options.appSettings("localhost:9092", "probe", "t", "w", "d", Paths.get(".")));
        final Properties app = probe.streamsProperties();
        out.printf(Locale.ROOT, "BLAS: %s, OPENBLAS_NUM_THREADS=%s, cores=%d%s, java %s%n", Scissor.blasImplementation(),
                System.getenv().getOrDefault("OPENBLAS_NUM_THREADS", "(unset)"),
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.version"));
        out.printf(Locale.ROOT, "app: %s, commit.interval.ms=%s, num.stream.threads=%s, W=%d H=%d, %d partitions; "
                        + "broker, app, producer and reader in one JVM%n",
                app.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG), app.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
                app.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG), probe.windowFrames(), probe.hopFrames(),
                options.partitions);
        out.printf(Locale.ROOT, "frames: %s, %dx%d tokens x %d float32 (%d KB a record), producer compression %s%s%n",
                frames.source, GRID, GRID, DIM, frames.recordBytes() / 1024, options.compression,
                options.extra.isEmpty() ? "" : ", settings " + options.extra);
        out.printf(Locale.ROOT, "throughput: saturated, medians of %d x %.1f s slices after a %d s warm-up (%d s for "
                        + "the first case); latency: token CreateTime -> window at a read_committed consumer, %s, "
                        + "%d s after a 2 s warm-up%n%n", SLICES, options.seconds / (double) SLICES,
                options.warmupSeconds, 3 * options.warmupSeconds, options.rate > 0
                        ? trim(options.rate) + " fps per stream"
                        : "2 fps per stream or 70% of the measured maximum where that is less", options.latencySeconds);
        out.println("| streams | frames/s | (slices) | windows/s | 2-fps cameras | latency load | p50 ms | p99 ms "
                + "| windows |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (final Result r : results) {
            final String load = String.format(Locale.ROOT, "%s fps (%s/stream%s)%s", trim(r.offered), trim(r.perStream),
                    options.rate <= 0 && r.perStream < 2.0 ? ", 70% of max" : "",
                    r.overloaded ? " over capacity" : "");
            out.printf(Locale.ROOT, "| %d | %.1f | %.0f-%.0f | %.1f | %d | %s | %.0f | %.0f | %d |%n", r.streams,
                    r.framesPerSecond, r.frameRange[0], r.frameRange[1], r.windowsPerSecond,
                    (long) Math.floor(r.framesPerSecond / 2), load, r.p50, r.p99, r.latencyWindows);
        }
        out.println();
        out.printf(Locale.ROOT, "CPU in the throughput phase: the machine's busy cores (of %d), and this JVM's CPU "
                + "time per frame processed, by part:%n%n", Runtime.getRuntime().availableProcessors());
        out.println("| streams | machine cores | other processes | JVM ms/frame | stream threads | (compressor "
                + "compute) | app client I/O | broker | bench producer + reader | GC, JIT, RocksDB native |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        double worstOther = 0;
        for (final Result r : results) {
            final CpuSnapshot c = r.cpu;
            final double other = c.machineCores() - c.cores(c.processNanos);
            if (!Double.isNaN(other)) {
                worstOther = Math.max(worstOther, other);
            }
            final double frames = r.cpuFrames;
            out.printf(Locale.ROOT, "| %d | %s | %s | %.1f | %.1f | (%.1f) | %.1f | %.1f | %.1f | %.1f |%n",
                    r.streams, num(c.machineCores()), num(Math.max(0, other)), c.processNanos / 1e6 / frames,
                    c.get(Category.STREAM) / 1e6 / frames, r.computeMsPerFrame, c.get(Category.APP_IO) / 1e6 / frames,
                    c.get(Category.BROKER) / 1e6 / frames, c.get(Category.BENCH) / 1e6 / frames,
                    (c.processNanos - c.threadTotal()) / 1e6 / frames);
        }
        if (results.stream().anyMatch(r -> !r.kbPerFrame.isEmpty())) {
            final List<String> parts = List.of("tokens", "frame-store changelog", "windows", "latest-window changelog",
                    "stream-state changelog", "other");
            out.println();
            out.println("Bytes the broker took in per frame processed (KB; BrokerTopicMetrics BytesIn):");
            out.println();
            out.println("| streams | " + String.join(" | ", parts) + " | total |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (final Result r : results) {
                final StringBuilder row = new StringBuilder("| " + r.streams + " |");
                double total = 0;
                for (final String part : parts) {
                    final double kb = r.kbPerFrame.getOrDefault(part, 0.0);
                    total += kb;
                    row.append(String.format(Locale.ROOT, " %.1f |", kb));
                }
                out.println(row.append(String.format(Locale.ROOT, " %.1f |", total)));
            }
        }
        if (results.stream().anyMatch(r -> !r.samples.isEmpty())) {
            out.println();
            out.printf(Locale.ROOT, "Heap and state over time (every %d s; heap after GC = live data after the last "
                    + "collection; state = the application's state directory, RocksDB included; p99 = windows "
                    + "measured since the previous sample):%n%n", options.sampleSeconds);
            out.println("| streams | t s | phase | frames/s | heap used MB | heap after GC MB | state MB | p99 ms |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (final Result r : results) {
                for (final ResourceSampler.Sample x : r.samples) {
                    out.printf(Locale.ROOT, "| %d | %.0f | %s | %.1f | %s | %s | %s | %s |%n", r.streams, x.seconds(),
                            x.phase(), x.framesPerSecond(), mb(x.heapUsedBytes()), mb(x.heapAfterGcBytes()),
                            mb(x.stateBytes()), Double.isNaN(x.p99Ms()) ? "-" : String.format(Locale.ROOT, "%.0f",
                                    x.p99Ms()));
                }
            }
        }
        out.println();
        out.println("frames/s, windows/s: token records the application processed and committed windows the reader "
                + "received, per second. 2-fps cameras = frames/s / 2 at saturation. ms/frame: CPU time over the "
                + "measurement / frames processed in it. compressor compute: the windows' stats.computeMicros per "
                + "frame (wall time inside the compressor, within the stream threads). machine: busy cores of all "
                + "processes (/proc/stat); other processes = machine - this JVM.");
        if (!"1".equals(System.getenv("OPENBLAS_NUM_THREADS")) && Scissor.blasImplementation().contains("JNI")) {
            out.println("note: OPENBLAS_NUM_THREADS is not 1: OpenBLAS's own threads spin on the cores the broker "
                    + "and the stream threads need; run with OPENBLAS_NUM_THREADS=1 (on the 2-core build machine it "
                    + "cut the CPU per frame by a third).");
        }
        if (worstOther > 0.25) {
            out.printf(Locale.ROOT, "note: other processes used up to %.2f cores during the measurements: this "
                    + "machine was shared, so the figures are lower than on an idle machine.%n", worstOther);
        }
    }

    /** The broker's BytesIn count per topic (from its JMX metrics); empty when it exposes none. */
    private static Map<String, Long> brokerBytesIn() {
        final Map<String, Long> bytes = new HashMap<>();
        try {
            final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            for (final ObjectName name : server.queryNames(
                    new ObjectName("kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=*"), null)) {
                final String topic = name.getKeyProperty("topic");
                bytes.put(topic.startsWith("\"") ? ObjectName.unquote(topic) : topic,
                        ((Number) server.getAttribute(name, "Count")).longValue());
            }
        } catch (final JMException | RuntimeException e) {
            bytes.clear(); // no broker metrics: the table is left out
        }
        return bytes;
    }

    private static String mb(final long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", bytes / 1048576.0);
    }

    private static String num(final double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String cpuModel() {
        try {
            for (final String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return " (" + line.substring(line.indexOf(':') + 1).trim() + ")";
                }
            }
        } catch (final IOException | RuntimeException e) {
            // not Linux: no model line
        }
        return "";
    }

    // ------------------------------------------------------------------------------------------------
    // Pieces.

    /** The command line: its options, once {@link #call} checked them and applied --quick and --minutes. */
    @Command(name = "bench-streams", sortOptions = false, sortSynopsis = false,
            description = {"frames/s and window latency of the Kafka Streams compressor through a broker",
                "",
                "Runs an in-process KRaft broker and the compressor application in this JVM (exactly_once_v2,",
                "commit.interval.ms=100), and for each stream count N measures:",
                "  throughput  frames/s and windows/s with the application saturated (the producer keeps a",
                "              bounded backlog ahead of it), medians of " + SLICES + " slices after a warm-up",
                "  latency     p50/p99 from a token record's CreateTime to its window reaching a",
                "              read_committed consumer, at a sustainable load: 2 fps per stream, or 70%% of",
                "              the measured maximum where that is less (or --rate)",
                "Frames: 14x14 tokens of dim 816 (float32, 627 KB a record).",
                ""},
            footer = {"", "Progress goes to stderr, the report (Markdown tables) to stdout."})
    static final class Options implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        private boolean help;

        @Option(names = "--streams", paramLabel = "N", split = ",",
                description = "stream counts to run, comma-separated (default 1,8,32)")
        int[] streams = {1, 8, 32};

        @Option(names = "--seconds", paramLabel = "S", description = "throughput measurement per case (default 30)")
        int seconds = 30;

        @Option(names = "--warmup", paramLabel = "S",
                description = "warm-up before the throughput measurement (default 15; the first case warms up 3x as "
                        + "long, while the JVM compiles broker and app)")
        int warmupSeconds = 15;

        @Option(names = "--latency-seconds", paramLabel = "S",
                description = "latency measurement per case (default 30, after a 2 s warm-up)")
        int latencySeconds = 30;

        @Option(names = "--window", paramLabel = "W", description = "window in frames (default 16)")
        int window = 16;

        @Option(names = "--hop", paramLabel = "H", description = "hop in frames (default 4)")
        int hop = 4;

        /** Frames/s per stream in the latency phase; 0 = 2 fps capped at 70% of the measured maximum. */
        @Option(names = "--rate", paramLabel = "FPS", converter = CommandLines.FiniteDouble.class,
                description = "frames/s per stream in the latency phase, fixed (default: 2, capped at 70%% of the "
                        + "measured maximum)")
        double rate;

        @Option(names = "--threads", paramLabel = "T",
                description = "num.stream.threads of the application (default 1: best on 2 cores)")
        int threads = 1;

        @Option(names = "--partitions", paramLabel = "P",
                description = "partitions of the tokens/windows/dlq topics (default 8)")
        int partitions = 8;

        @Option(names = "--compression", paramLabel = "none|gzip|snappy|lz4|zstd",
                description = "the benchmark producer's compression.type (default none)")
        String compression = "none";

        @Option(names = "--synthetic", description = "a synthetic video instead of the realistic golden one")
        boolean synthetic;

        @Option(names = "--set", paramLabel = "KEY=VALUE", converter = KeyValue.Converter.class,
                description = "a Kafka Streams or scissor.* setting of the application; repeatable")
        private List<KeyValue> sets = new ArrayList<>();

        @Option(names = "--quick", description = "--streams 1,8 --warmup 3 --seconds 5 --latency-seconds 6")
        private boolean quick;

        @Option(names = "--minutes", paramLabel = "M",
                description = "a long run: --streams 32 --warmup 5 --seconds 10, then the paced (latency) phase for "
                        + "M minutes; watch heap and state size over time")
        private Integer minutes;

        /** Seconds between heap and state-directory samples. */
        @Option(names = "--sample-seconds", paramLabel = "S",
                description = "every S seconds (default 10): heap used and after the last GC, the state directory's "
                        + "size on disk, frames, windows and the p99 of the windows measured since the last sample")
        int sampleSeconds = 10;

        final Map<String, Object> extra = new LinkedHashMap<>();

        private final PrintStream out;
        private final PrintStream err;

        Options(final PrintStream out, final PrintStream err) {
            this.out = out;
            this.err = err;
        }

        @Override
        public Integer call() {
            for (final int n : streams) {
                atLeast(n, 1, "--streams");
            }
            atLeast(seconds, 1, "--seconds");
            atLeast(warmupSeconds, 0, "--warmup");
            atLeast(latencySeconds, 1, "--latency-seconds");
            atLeast(window, 1, "--window");
            atLeast(hop, 1, "--hop");
            atLeast(threads, 1, "--threads");
            atLeast(partitions, 1, "--partitions");
            atLeast(sampleSeconds, 1, "--sample-seconds");
            if (given("--rate") && !(rate > 0)) {
                throw CommandLines.usage(spec.commandLine(), "--rate must be positive, got %s", rate);
            }
            if (!List.of("none", "gzip", "snappy", "lz4", "zstd").contains(compression)) {
                throw CommandLines.usage(spec.commandLine(), "--compression takes none, gzip, snappy, lz4 or zstd, "
                        + "got '%s'", compression);
            }
            sets.forEach(kv -> extra.put(kv.key(), kv.value()));
            if (quick) {
                streams = given("--streams") ? streams : new int[] {1, 8};
                seconds = given("--seconds") ? seconds : 5;
                warmupSeconds = given("--warmup") ? warmupSeconds : 3;
                latencySeconds = given("--latency-seconds") ? latencySeconds : 6;
            }
            if (minutes != null) {
                atLeast(minutes, 1, "--minutes");
                if (given("--latency-seconds")) {
                    throw CommandLines.usage(spec.commandLine(),
                            "--minutes sets the paced phase; leave out --latency-seconds");
                }
                // A long run: a short throughput phase, then the paced phase for the given minutes.
                streams = given("--streams") ? streams : new int[] {32};
                seconds = given("--seconds") ? seconds : 10;
                warmupSeconds = given("--warmup") ? warmupSeconds : 5;
                latencySeconds = 60 * minutes;
            }
            if (seconds < SLICES) {
                throw CommandLines.usage(spec.commandLine(), "--seconds must be at least %d (one per slice)", SLICES);
            }
            return run(this, out, err);
        }

        private boolean given(final String option) {
            return spec.commandLine().getParseResult().hasMatchedOption(option);
        }

        private void atLeast(final int value, final int min, final String option) {
            if (value < min) {
                throw CommandLines.usage(spec.commandLine(), "%s must be at least %d, got %d", option, min, value);
            }
        }

        /** The application's settings for one case. */
        Map<String, Object> appSettings(final String bootstrap, final String appId, final String tokens,
                final String windows, final String dlq, final Path stateDir) {
            final Map<String, Object> s = new LinkedHashMap<>();
            s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            s.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
            s.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            s.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
            s.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
            s.put(CompressorConfig.TOKENS_TOPIC, tokens);
            s.put(CompressorConfig.WINDOWS_TOPIC, windows);
            s.put(CompressorConfig.DLQ_TOPIC, dlq);
            s.put(CompressorConfig.WINDOW_FRAMES, window);
            s.put(CompressorConfig.HOP_FRAMES, hop);
            s.putAll(extra);
            return s;
        }
    }

    /** One case's figures. */
    private static final class Result {
        final int streams;
        double framesPerSecond;
        double windowsPerSecond;
        double[] frameRange;
        double offered;
        double perStream;
        boolean overloaded;
        int latencyWindows;
        double p50;
        double p99;
        double maxLatency;
        long deadLetters;
        CpuSnapshot cpu;
        long cpuFrames;
        /** Bytes the broker took in per frame processed, KB, by part (topic). */
        final Map<String, Double> kbPerFrame = new LinkedHashMap<>();
        double computeMsPerFrame;
        /** Heap and state-directory samples over the case. */
        final List<ResourceSampler.Sample> samples = new ArrayList<>();

        Result(final int streams) {
            this.streams = streams;
        }
    }

    /**
     * The token frames, pre-encoded: each base frame's Avro tail (tensor bytes and model id) once; per
     * record only the small head is serialized and spliced in front. Stream s plays the base frames
     * forwards then backwards (a cycle of 2 (F - 1) frames), starting at its own phase.
     */
    static final class FrameSource {
        final String source;
        final int baseFrames;
        final byte[][] tails;
        final int tailCut;
        final AvroSingleObjectSerde<FrameTokens> serde = ScissorSerdes.frameTokens();

        private FrameSource(final float[] video, final int baseFrames, final String source) {
            this.source = source;
            this.baseFrames = baseFrames;
            final byte[] model = MODEL.getBytes(StandardCharsets.UTF_8);
            final byte[] modelEnc = concat(zigzagVarint(model.length), model);
            // Serialized with an empty tensor, a record ends in varint(0) = 0x00 and the encoded model id.
            this.tailCut = 1 + modelEnc.length;
            this.tails = new byte[baseFrames][];
            final int len = N * DIM * Float.BYTES;
            for (int f = 0; f < baseFrames; f++) {
                final ByteBuffer tensor = TensorBytes.toLittleEndian(video, f * N * DIM, N * DIM);
                final byte[] t = new byte[len];
                tensor.duplicate().get(t);
                tails[f] = concat(concat(zigzagVarint(len), t), modelEnc);
            }
            final byte[] probe = serde.serializer().serialize("tokens", head("camera-0", 0, 0));
            if (probe[probe.length - tailCut] != 0 || !Arrays.equals(Arrays.copyOfRange(probe,
                    probe.length - tailCut + 1, probe.length), modelEnc)) {
                throw new IllegalStateException("unexpected FrameTokens encoding: the tensor is not the second-"
                        + "to-last field; the pre-encoding needs updating");
            }
            // The spliced record must decode to exactly the frame.
            final FrameTokens back = serde.deserializer().deserialize("tokens", encode("camera-3", 12345, 678, 3));
            final int f = frameIndex(12345, 3);
            if (!back.getStreamId().equals("camera-3") || back.getSequence() != 12345 || back.getTimestamp() != 678
                    || !back.getModelId().equals(MODEL) || !Arrays.equals(TensorBytes.decode(back),
                    Arrays.copyOfRange(video, f * N * DIM, (f + 1) * N * DIM))) {
                throw new IllegalStateException("a pre-encoded frame does not decode to its frame");
            }
        }

        /** The realistic golden video's frames (as {@code scissor bench} uses), else a synthetic video. */
        static FrameSource load(final boolean synthetic) throws IOException {
            if (!synthetic) {
                final String root = System.getProperty("scissor.repo.root", ".");
                for (Path p = Paths.get(root).toAbsolutePath(); p != null; p = p.getParent()) {
                    final Path g = p.resolve("../shared/golden/realistic_v1_input.npz").normalize();
                    if (Files.exists(g)) {
                        final Map<String, NpyArray> z = Npy.readNpz(g);
                        final NpyArray q = z.get("input_q");
                        final int[] shape = q.shape();
                        if (shape.length != 3 || shape[1] != N || shape[2] != DIM) {
                            throw new IllegalArgumentException(g + ": input_q must be [T, " + N + ", " + DIM + "], got "
                                    + Arrays.toString(shape));
                        }
                        final float[] v = q.toFloats();
                        final float scale = (float) z.get("input_scale").scalar();
                        for (int i = 0; i < v.length; i++) {
                            v[i] *= scale;
                        }
                        return new FrameSource(v, shape[0], "the realistic golden video (" + g.getFileName() + ", "
                                + shape[0] + " frames played forwards and backwards)");
                    }
                }
            }
            final int frames = 32;
            return new FrameSource(SyntheticVideo.generate(7, frames, GRID, DIM, 9, 0.8), frames,
                    "a synthetic video (" + frames + " frames played forwards and backwards)");
        }

        /** Base frame of a stream's sequence number: a forwards-backwards cycle, phase-shifted per stream. */
        int frameIndex(final long seq, final int stream) {
            if (baseFrames == 1) {
                return 0;
            }
            final int period = 2 * (baseFrames - 1);
            final int k = (int) ((seq + 7L * stream) % period);
            return k < baseFrames ? k : period - k;
        }

        FrameTokens head(final String stream, final long seq, final long timestamp) {
            return FrameTokens.newBuilder()
                    .setStreamId(stream)
                    .setSequence(seq)
                    .setTimestamp(timestamp)
                    .setGridHeight(GRID)
                    .setGridWidth(GRID)
                    .setTokenDim(DIM)
                    .setDtype(TokenDtype.FLOAT32)
                    .setTensor(ByteBuffer.allocate(0))
                    .setModelId(MODEL)
                    .build();
        }

        /** The serialized FrameTokens record of a stream's frame. */
        byte[] encode(final String stream, final long seq, final long timestamp, final int streamIndex) {
            final byte[] head = serde.serializer().serialize("tokens", head(stream, seq, timestamp));
            final byte[] tail = tails[frameIndex(seq, streamIndex)];
            final int headLen = head.length - tailCut;
            final byte[] out = new byte[headLen + tail.length];
            System.arraycopy(head, 0, out, 0, headLen);
            System.arraycopy(tail, 0, out, headLen, tail.length);
            return out;
        }

        int recordBytes() {
            return tails[0].length + 40;
        }

        private static byte[] zigzagVarint(final long n) {
            long z = (n << 1) ^ (n >> 63);
            final byte[] buf = new byte[10];
            int i = 0;
            while ((z & ~0x7FL) != 0) {
                buf[i++] = (byte) ((z & 0x7F) | 0x80);
                z >>>= 7;
            }
            buf[i++] = (byte) z;
            return Arrays.copyOf(buf, i);
        }

        private static byte[] concat(final byte[] a, final byte[] b) {
            final byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }
    }

    /**
     * Reads the windows and dead-letter topics with {@code read_committed} on its own thread, which
     * owns the consumer; counts windows, sums their compute time and records latencies.
     */
    private static final class WindowReader implements AutoCloseable {
        final AtomicLong windows = new AtomicLong();
        final AtomicLong computeMicros = new AtomicLong();
        final AtomicLong deadLetters = new AtomicLong();
        private final List<Long> latencies = new ArrayList<>();
        private final String bootstrap;
        private final String windowsTopic;
        private final String dlqTopic;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long latencyFrom = Long.MAX_VALUE;
        private volatile long latencyTo = Long.MAX_VALUE;
        volatile Throwable failure;

        WindowReader(final String bootstrap, final String windowsTopic, final String dlqTopic) {
            this.bootstrap = bootstrap;
            this.windowsTopic = windowsTopic;
            this.dlqTopic = dlqTopic;
            this.thread = new Thread(this::loop, READER_THREAD);
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void loop() {
            final Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, READER_THREAD);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
            c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
            final var serde = ScissorSerdes.compressedWindow();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                final List<TopicPartition> parts = new ArrayList<>();
                for (final String t : List.of(windowsTopic, dlqTopic)) {
                    for (final PartitionInfo p : consumer.partitionsFor(t, Duration.ofSeconds(30))) {
                        parts.add(new TopicPartition(t, p.partition()));
                    }
                }
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                while (running) {
                    final var records = consumer.poll(Duration.ofMillis(100));
                    final long received = System.currentTimeMillis();
                    for (final ConsumerRecord<byte[], byte[]> r : records) {
                        if (r.topic().equals(dlqTopic)) {
                            deadLetters.incrementAndGet();
                            continue;
                        }
                        final CompressedWindow w = serde.deserializer().deserialize(r.topic(), r.value());
                        computeMicros.addAndGet(w.getStats().getComputeMicros());
                        windows.incrementAndGet();
                        if (r.timestamp() >= latencyFrom && r.timestamp() < latencyTo) {
                            synchronized (latencies) {
                                latencies.add(received - r.timestamp());
                            }
                        }
                    }
                }
            } catch (final RuntimeException e) {
                failure = e;
            }
        }

        /** Records the latency of windows whose record timestamp is in [from, to). */
        void latencyRange(final long from, final long to) {
            latencyTo = to;
            latencyFrom = from;
        }

        int latencyCount() {
            synchronized (latencies) {
                return latencies.size();
            }
        }

        /** Nearest-rank percentile in ms; NaN when there is none. */
        double latencyPercentile(final double q) {
            return latencyPercentile(0, q);
        }

        /** Nearest-rank percentile in ms of the windows measured from the {@code from}-th on; NaN if none. */
        double latencyPercentile(final int from, final double q) {
            final long[] v;
            synchronized (latencies) {
                v = latencies.subList(Math.min(from, latencies.size()), latencies.size()).stream()
                        .mapToLong(Long::longValue).toArray();
            }
            if (v.length == 0) {
                return Double.NaN;
            }
            Arrays.sort(v);
            final int rank = (int) Math.ceil(q * v.length);
            return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(30_000);
        }
    }

    /** Which part of the deployment a thread belongs to, by its name. */
    private enum Category {
        STREAM, APP_IO, BROKER, BENCH;

        static Category of(final String name) {
            if (name.startsWith("kafka-producer-network-thread")) {
                return name.contains(PRODUCER_ID) ? BENCH : APP_IO;
            }
            if (name.contains("StreamThread")) {
                return STREAM;
            }
            if (name.equals("main") || name.startsWith(READER_THREAD)) {
                return BENCH;
            }
            if (name.contains("scissor-bench-n")) { // the application's admin, heartbeat and cleanup threads
                return APP_IO;
            }
            return BROKER; // and any other JVM thread
        }
    }

    /** CPU time per thread category, the process, and (on Linux) the whole machine. */
    private static final class CpuSnapshot {
        final long wallNanos;
        final long processNanos;
        final long machineBusyTicks;
        final long machineTotalTicks;
        final Map<Long, Long> threadNanos;
        final Map<Long, Category> categories;
        final Map<Category, Long> byCategory = new HashMap<>();

        private CpuSnapshot(final long wall, final long process, final long busy, final long total,
                final Map<Long, Long> threadNanos, final Map<Long, Category> categories) {
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
                final String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
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
            final CpuSnapshot d = new CpuSnapshot(wallNanos - before.wallNanos, processNanos - before.processNanos,
                    machineBusyTicks < 0 || before.machineBusyTicks < 0 ? -1 : machineBusyTicks - before.machineBusyTicks,
                    machineTotalTicks < 0 || before.machineTotalTicks < 0 ? -1
                            : machineTotalTicks - before.machineTotalTicks, delta, categories);
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

    private static String trim(final double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
