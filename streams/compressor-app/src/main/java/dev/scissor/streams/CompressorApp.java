package dev.scissor.streams;

import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running compressor: owns the {@link KafkaStreams} instance of the {@link CompressorTopology}
 * and closes it. An exception that escapes a stream thread (not a bad record: those are dead
 * letters) shuts the client down, so that a supervisor restarts it from its committed state.
 *
 * <p>Each instance owns its {@link Metrics} registry ({@link #metrics()}), closed with it: the
 * compressor's counters and histograms ({@link CompressorMetrics}), its state, the consumer lag of
 * the tokens topic, and Kafka Streams' own metrics ({@code kafka_stream_*} of its threads, tasks,
 * processors and RocksDB stores, {@code kafka_consumer_*}, {@code kafka_producer_*} and {@code
 * kafka_admin_client_*} of its clients) through Micrometer's {@link KafkaStreamsMetrics}. Given an
 * {@link HttpService} (owned by the caller), the instance serves {@code GET /metrics} and the
 * interactive query of {@link CompressorQueries} there, and advertises it to the other instances as
 * its {@code application.server}.
 */
public final class CompressorApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CompressorApp.class);

    private final KafkaStreams streams;
    private final Metrics metrics = new Metrics();
    private final CompressorMetrics compressorMetrics = new CompressorMetrics(metrics);
    private final String applicationServer;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;

    /**
     * Builds the application; {@link #start()} starts it.
     *
     * @param config the configuration
     */
    public CompressorApp(final CompressorConfig config) {
        this(config, null);
    }

    /**
     * Builds the application with its HTTP endpoint; {@link #start()} starts it.
     *
     * @param config the configuration
     * @param http the endpoint to serve {@code /metrics} and the interactive queries on, owned by the
     *     caller (closed after this app); {@code null} for none. Its bound port, with {@link
     *     CompressorConfig#advertisedHost()}, becomes {@code application.server} unless that is set.
     */
    public CompressorApp(final CompressorConfig config, final HttpService http) {
        final Properties props = config.streamsProperties();
        if (http != null) {
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, config.applicationServer(http.port()));
        }
        final Object server = props.get(StreamsConfig.APPLICATION_SERVER_CONFIG);
        this.applicationServer = server == null ? null : server.toString();
        this.streams = new KafkaStreams(CompressorTopology.build(config, compressorMetrics), props);
        registerClientMetrics(config.tokensTopic());
        if (http != null) {
            metrics.expose(http);
            // Forwarded queries carry the token this instance requires: every instance is started with the same.
            new CompressorQueries(latestWindows(), applicationServer, http.bearerToken()).register(http);
        }
        streams.setUncaughtExceptionHandler(e -> {
            failure = e;
            LOG.error("Compressor stream thread failed; shutting down this instance", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("Compressor {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
    }

    /** Starts processing. */
    public void start() {
        streams.start();
    }

    /**
     * Waits until the instance is RUNNING (assigned and restored).
     *
     * @param timeout how long to wait
     * @return whether it is running
     * @throws InterruptedException when interrupted
     */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || stopped.getCount() == 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /**
     * Waits until the instance stops (closed, or failed).
     *
     * @param timeout how long to wait
     * @return whether it stopped
     * @throws InterruptedException when interrupted
     */
    public boolean awaitStop(final Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The Kafka Streams state. */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The exception that stopped a stream thread, or {@code null}. */
    public Throwable failure() {
        return failure;
    }

    /** Input records processed by this instance since it started. */
    public long recordsProcessed() {
        double total = 0;
        for (final Metric m : streams.metrics().values()) {
            if (m.metricName().name().equals("process-total")
                    && m.metricName().group().equals("stream-thread-metrics")) {
                total += ((Number) m.metricValue()).doubleValue();
            }
        }
        return (long) total;
    }

    /** Interactive queries of the latest window per stream. */
    public LatestWindows latestWindows() {
        return new LatestWindows(streams);
    }

    /** This instance's metrics registry (served on {@code /metrics} when it has an HTTP endpoint). */
    public Metrics metrics() {
        return metrics;
    }

    /** The compressor's counters of this instance. */
    public CompressorMetrics compressorMetrics() {
        return compressorMetrics;
    }

    /** This instance's {@code application.server} ({@code host:port}), or {@code null} without one. */
    public String applicationServer() {
        return applicationServer;
    }

    private void registerClientMetrics(final String tokensTopic) {
        for (final KafkaStreams.State s : KafkaStreams.State.values()) {
            metrics.gauge(
                    "scissor_compressor_state",
                    "Kafka Streams state of this instance: 1 for the current state, 0 for the others.",
                    () -> streams.state() == s ? 1 : 0,
                    "state",
                    s.name());
        }
        metrics.gauges(
                "scissor_compressor_consumer_lag_records",
                "Records of the tokens topic not yet read, per assigned partition (Kafka's records-lag).",
                () -> {
                    final Map<Tags, Double> out = new HashMap<>();
                    for (final Metric m : streams.metrics().values()) {
                        final Map<String, String> tags = m.metricName().tags();
                        if (m.metricName().name().equals("records-lag")
                                && isMainConsumer(m)
                                && tokensTopic.equals(tags.get("topic"))
                                && tags.containsKey("partition")
                                && m.metricValue() instanceof Number n
                                && !Double.isNaN(n.doubleValue())) {
                            out.put(Tags.of("topic", tokensTopic, "partition", tags.get("partition")), n.doubleValue());
                        }
                    }
                    return out;
                });
        metrics.gauge(
                "scissor_compressor_consumer_lag_max_records",
                "Largest lag in records of any partition this instance reads (Kafka's records-lag-max; "
                        + "NaN before the first fetch).",
                () -> {
                    double max = Double.NaN;
                    for (final Metric m : streams.metrics().values()) {
                        if (m.metricName().name().equals("records-lag-max")
                                && isMainConsumer(m)
                                && !m.metricName().tags().containsKey("topic")
                                && m.metricValue() instanceof Number n
                                && !Double.isNaN(n.doubleValue())) {
                            max = Double.isNaN(max) ? n.doubleValue() : Math.max(max, n.doubleValue());
                        }
                    }
                    return max;
                });
        metrics.bindKafka((tags, scheduler, refresh) -> new KafkaStreamsMetrics(streams, tags, scheduler, refresh));
    }

    private static boolean isMainConsumer(final Metric m) {
        final String client = m.metricName().tags().getOrDefault("client-id", "");
        return m.metricName().group().equals("consumer-fetch-manager-metrics") && !client.endsWith("restore-consumer");
    }

    /** The Kafka Streams instance, for metrics and queries. */
    public KafkaStreams streams() {
        return streams;
    }

    /**
     * Stops processing, committing what was processed, releases the state stores, then closes the
     * metrics registry (Kafka Streams' meters leave it; the compressor's keep their last values).
     */
    @Override
    public void close() {
        try {
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        } finally {
            metrics.close();
        }
    }
}
