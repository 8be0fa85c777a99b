package dev.scissor.streams;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running compressor: owns the {@link KafkaStreams} instance of the {@link CompressorTopology}
 * and closes it. An exception that escapes a stream thread (not a bad record: those are dead
 * letters) shuts the client down, so that a supervisor restarts it from its committed state.
 */
public final class CompressorApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CompressorApp.class);

    private final KafkaStreams streams;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;

    /**
     * Builds the application; {@link #start()} starts it.
     *
     * @param config the configuration
     */
    public CompressorApp(final CompressorConfig config) {
        this.streams = new KafkaStreams(CompressorTopology.build(config), config.streamsProperties());
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
            if (m.metricName().name().equals("process-total") && m.metricName().group().equals("stream-thread-metrics")) {
                total += ((Number) m.metricValue()).doubleValue();
            }
        }
        return (long) total;
    }

    /** Interactive queries of the latest window per stream. */
    public LatestWindows latestWindows() {
        return new LatestWindows(streams);
    }

    /** The Kafka Streams instance, for metrics and queries. */
    public KafkaStreams streams() {
        return streams;
    }

    /** Stops processing, committing what was processed, and releases the state stores. */
    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
        stopped.countDown();
    }
}
