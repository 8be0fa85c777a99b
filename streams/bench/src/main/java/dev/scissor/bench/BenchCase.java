package dev.scissor.bench;

import dev.scissor.kafka.KafkaTopics;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.streams.CompressorTopology;
import dev.scissor.testkit.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One case of {@code bench-streams}: N streams on fresh topics and a fresh application id, with the
 * application, the benchmark's producer and {@link WindowReader} it owns, driven by {@link BenchDriver}
 * and sampled by {@link ResourceSampler}; the topics and the state directory are deleted afterwards.
 */
final class BenchCase {

    /** The benchmark producer's client id. */
    static final String PRODUCER_ID = "scissor-bench-producer";

    private final StreamsBenchOptions options;
    private final BenchFrames frames;
    private final PrintStream err;

    BenchCase(final StreamsBenchOptions options, final BenchFrames frames, final PrintStream err) {
        this.options = options;
        this.frames = frames;
        this.err = err;
    }

    /**
     * Runs one case.
     *
     * @param kafka the broker
     * @param streams the stream count
     * @param index the case's index, for unique names
     * @param warmupSeconds the throughput phase's warm-up
     * @return the case's figures
     * @throws InterruptedException when interrupted
     */
    BenchResult run(final EmbeddedKafka kafka, final int streams, final int index, final int warmupSeconds)
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
            KafkaTopics.ensure(
                    admin,
                    topics,
                    (short) 1,
                    Map.of(
                            "max.message.bytes", Integer.toString(CompressorTopology.MAX_MESSAGE_BYTES),
                            "segment.bytes", Integer.toString(64 << 20),
                            "retention.bytes", Integer.toString(256 << 20)),
                    Duration.ofSeconds(60));
            final CompressorConfig config = new CompressorConfig(options.appSettings(
                    kafka.bootstrapServers(), appId, tokensTopic, windowsTopic, dlqTopic, stateDir));
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
                final BenchDriver driver = new BenchDriver(
                        options, frames, err, app, producer, reader, tokensTopic, streams, warmupSeconds, byteParts);
                final List<ResourceSampler.Sample> samples = new ArrayList<>();
                final BenchResult result;
                try (ResourceSampler sampler = ResourceSampler.start(
                        stateDir,
                        options.sampleSeconds,
                        () -> {
                            final int measured = reader.latencyCount();
                            return new ResourceSampler.Progress(
                                    driver.phase, driver.processed(), reader.windows.get(), measured);
                        },
                        reader::latencyPercentile,
                        sample -> {
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
}
