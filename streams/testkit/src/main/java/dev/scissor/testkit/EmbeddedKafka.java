package dev.scissor.testkit;

import dev.scissor.kafka.KafkaTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, single-node Apache Kafka cluster in KRaft mode: one node that is both broker and controller,
 * listening on a free localhost port, with its data in a fresh temporary directory.
 *
 * <p>It is configured for a cluster of one: the internal topics (consumer offsets, transaction state, share
 * group state) have replication factor 1, so consumer groups and transactions (exactly-once) work, and a new
 * consumer group rebalances at once. Close it to stop the cluster and delete its data.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *     kafka.createTopic("frames", 3);
 *     String bootstrap = kafka.bootstrapServers();
 *     ...
 * }
 * }</pre>
 *
 * <p>It is built on Kafka's {@code KafkaClusterTestKit}, an internal API of the Kafka build that may change
 * between Kafka releases. The class is thread-safe.
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** How long {@link #start()} waits for the broker to be ready. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    /** How long {@link #createTopic} and {@link #createTopics} wait for the topics to be ready. */
    public static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);

    private static final long START_UNWIND_MS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /**
     * The broker settings a single-node cluster needs; the first three are required, as Kafka's defaults
     * (replication factor 3) leave consumer groups and transactions waiting for replicas that never come. The
     * internal topics get one partition each, as a cluster of one gains nothing from 50 and creates them faster.
     * Records may be up to 64 MiB, as a frame of tokens or a window is often more than the default 1 MB. The test
     * kit enables unstable APIs and feature versions by default; they are switched off, so clients meet what a
     * released broker offers.
     */
    private static final Map<String, String> SINGLE_NODE_CONFIG = orderedMap(
            "offsets.topic.replication.factor", "1",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1",
            "share.coordinator.state.topic.replication.factor", "1",
            "share.coordinator.state.topic.min.isr", "1",
            "offsets.topic.num.partitions", "1",
            "transaction.state.log.num.partitions", "1",
            "share.coordinator.state.topic.num.partitions", "1",
            "group.initial.rebalance.delay.ms", "0",
            "message.max.bytes", Integer.toString(64 << 20),
            "unstable.api.versions.enable", "false",
            "unstable.feature.versions.enable", "false");

    private final KafkaClusterTestKit cluster;
    private final Admin admin;
    private final Path dataDirectory;
    private final String bootstrapServers;
    private boolean closed;

    private EmbeddedKafka(
            final KafkaClusterTestKit cluster,
            final Admin admin,
            final Path dataDirectory,
            final String bootstrapServers) {
        this.cluster = cluster;
        this.admin = admin;
        this.dataDirectory = dataDirectory;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a cluster with the single-node settings and waits, up to {@link #DEFAULT_START_TIMEOUT}, until its
     * broker is ready.
     *
     * @return the running cluster; close it when done
     * @throws IllegalStateException if the cluster does not start, or is not ready in time; whatever was started
     *     is shut down and the data directory deleted
     */
    public static EmbeddedKafka start() {
        return start(Map.of(), DEFAULT_START_TIMEOUT);
    }

    /**
     * Starts a cluster with the single-node settings plus {@code brokerConfig}, and waits, up to
     * {@link #DEFAULT_START_TIMEOUT}, until its broker is ready.
     *
     * @param brokerConfig broker settings, such as {@code log.retention.ms}; they override the single-node
     *     settings, so a replication factor above 1 makes consumer groups or transactions hang
     * @return the running cluster; close it when done
     * @throws IllegalStateException if the cluster does not start, or is not ready in time; whatever was started
     *     is shut down and the data directory deleted
     */
    public static EmbeddedKafka start(final Map<String, String> brokerConfig) {
        return start(brokerConfig, DEFAULT_START_TIMEOUT);
    }

    /**
     * Starts a cluster with the single-node settings plus {@code brokerConfig}, and waits until its broker is
     * ready: formats the storage, starts the node, and waits until the broker is registered, unfenced and knows
     * of itself.
     *
     * @param brokerConfig broker settings; they override the single-node settings
     * @param timeout how long to wait for the broker to be ready
     * @return the running cluster; close it when done
     * @throws IllegalArgumentException if the timeout is not positive
     * @throws IllegalStateException if the cluster does not start, or is not ready in time; whatever was started
     *     is shut down and the data directory deleted
     * @throws InterruptException if the calling thread is interrupted while waiting; the cluster is shut down
     */
    public static EmbeddedKafka start(final Map<String, String> brokerConfig, final Duration timeout) {
        Objects.requireNonNull(brokerConfig, "brokerConfig");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        final Map<String, String> config = new LinkedHashMap<>(SINGLE_NODE_CONFIG);
        config.putAll(brokerConfig);
        final long t0 = System.nanoTime();
        final Path dataDirectory;
        try {
            dataDirectory = Files.createTempDirectory("scissor-kafka-");
        } catch (final IOException e) {
            throw new UncheckedIOException(
                    "embedded Kafka: could not create a temporary data directory: " + e.getMessage(), e);
        }
        final AtomicReference<String> phase = new AtomicReference<>("configuring the node");
        KafkaClusterTestKit cluster = null;
        Thread booter = null;
        Admin admin = null;
        boolean started = false;
        try {
            final KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setBaseDirectory(dataDirectory)
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build());
            config.forEach(builder::setConfigProp);
            cluster = builder.build();
            final KafkaClusterTestKit c = cluster;
            final FutureTask<Void> boot = new FutureTask<>(() -> {
                phase.set("formatting the storage");
                c.format();
                phase.set("starting the controller and broker");
                c.startup();
                phase.set("waiting for the broker to register and be unfenced");
                c.waitForReadyBrokers();
                return null;
            });
            booter = new Thread(boot, "embedded-kafka-start");
            booter.setDaemon(true);
            booter.start();
            try {
                boot.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                boot.cancel(true);
            }
            phase.set("connecting an admin client");
            final String bootstrapServers = cluster.bootstrapServers();
            admin = Admin.create(Map.of(
                    CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrapServers,
                    CommonClientConfigs.CLIENT_ID_CONFIG,
                    "embedded-kafka-admin"));
            final EmbeddedKafka kafka = new EmbeddedKafka(cluster, admin, dataDirectory, bootstrapServers);
            started = true;
            LOG.info(
                    "embedded Kafka ready at {} in {} ms (data in {})",
                    bootstrapServers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    dataDirectory);
            return kafka;
        } catch (final InterruptedException e) {
            throw new InterruptException("embedded Kafka: interrupted while " + phase.get(), e);
        } catch (final Exception e) {
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            final String what = e instanceof TimeoutException
                    ? "not ready after " + timeout.toMillis() + " ms, still " + phase.get()
                    : "failed after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms while "
                            + phase.get() + ": " + cause;
            throw new IllegalStateException(
                    "embedded Kafka did not start: " + what + " (data directory " + dataDirectory + ")", cause);
        } finally {
            if (!started) {
                cleanUpFailedStart(booter, cluster, admin, dataDirectory);
            }
        }
    }

    /**
     * The address clients connect to.
     *
     * @return the {@code bootstrap.servers} value for producers, consumers, Streams and admin clients, such as
     *     {@code localhost:40123}
     */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * The directory that holds the cluster's metadata and topic data; {@link #close()} deletes it.
     *
     * @return the data directory, under the system's temporary directory
     */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /**
     * An admin client connected to this cluster, shared by all callers. It belongs to this object, which closes
     * it on {@link #close()}: callers must not close it.
     *
     * @return the admin client
     * @throws IllegalStateException if this cluster is closed
     */
    public Admin admin() {
        ensureOpen();
        return admin;
    }

    /**
     * Creates a topic with replication factor 1 and waits until it is ready, see {@link #createTopics}.
     *
     * @param name the topic's name
     * @param partitions its partition count, at least 1
     * @throws IllegalArgumentException if the name is blank or {@code partitions} is below 1
     * @throws IllegalStateException if the cluster is closed, refuses the topic, or it is not ready in time
     */
    public void createTopic(final String name, final int partitions) {
        createTopics(Map.of(name, partitions));
    }

    /**
     * Creates topics with replication factor 1 and waits, up to {@link #TOPIC_TIMEOUT}, until every partition
     * has a leader. A topic that already exists is kept as it is, whatever its partition count (a differing
     * count is logged as a warning); see {@link KafkaTopics#ensure}.
     *
     * @param partitionsByName the partition count, at least 1, of each topic
     * @throws IllegalArgumentException if a name is blank or a partition count is below 1
     * @throws IllegalStateException if the cluster is closed, refuses a topic, or they are not ready in time
     */
    public void createTopics(final Map<String, Integer> partitionsByName) {
        KafkaTopics.ensure(admin(), partitionsByName, (short) 1, TOPIC_TIMEOUT);
    }

    /**
     * Stops the broker, as a crash-free broker outage: the node's broker side shuts down (a controlled shutdown)
     * and its client port stops answering, while its controller side, its data directory and its port are kept.
     * Clients see a broker that is gone until {@link #startBroker()}; what they wrote before is in its logs.
     *
     * @throws IllegalStateException if the cluster is closed
     */
    public synchronized void stopBroker() {
        ensureOpen();
        final long t0 = System.nanoTime();
        cluster.brokers().values().forEach(b -> b.shutdown());
        LOG.info(
                "embedded Kafka broker at {} stopped in {} ms (data kept)",
                bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Starts the broker stopped by {@link #stopBroker()} again, on the same data directory and the same port, and
     * waits, up to {@code timeout}, until it is registered and unfenced. Starting a running broker does nothing.
     *
     * @param timeout how long to wait for the broker to be ready
     * @throws IllegalStateException if the cluster is closed, or the broker does not start or is not ready in time
     * @throws InterruptException if the calling thread is interrupted while waiting
     */
    public synchronized void startBroker(final Duration timeout) {
        ensureOpen();
        final long t0 = System.nanoTime();
        final FutureTask<Void> boot = new FutureTask<>(() -> {
            cluster.brokers().values().forEach(b -> b.startup());
            cluster.waitForReadyBrokers();
            return null;
        });
        final Thread booter = new Thread(boot, "embedded-kafka-restart");
        booter.setDaemon(true);
        booter.start();
        try {
            boot.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            throw new InterruptException("embedded Kafka: interrupted while restarting the broker", e);
        } catch (final ExecutionException | TimeoutException e) {
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(
                    "embedded Kafka: the broker at " + bootstrapServers + " did not restart " + "within "
                            + timeout.toMillis() + " ms: " + cause,
                    cause);
        } finally {
            boot.cancel(true);
        }
        LOG.info(
                "embedded Kafka broker at {} restarted in {} ms",
                bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Shuts the cluster down and deletes its data directory. Calling it again does nothing.
     *
     * @throws IllegalStateException if the cluster recorded a fault while running or shutting down (the test kit
     *     records broker faults instead of exiting); the data directory is deleted all the same
     * @throws UncheckedIOException if the data directory cannot be deleted
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        final RuntimeException failure = shutDown(cluster, admin, dataDirectory);
        if (failure != null) {
            throw failure;
        }
        LOG.info("embedded Kafka at {} stopped", bootstrapServers);
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("embedded Kafka at " + bootstrapServers + " is closed");
        }
    }

    /** Closes what is not null, always deletes the directory, and returns the first failure (others suppressed). */
    private static RuntimeException shutDown(
            final KafkaClusterTestKit cluster, final Admin admin, final Path dataDirectory) {
        RuntimeException failure = null;
        if (admin != null) {
            try {
                admin.close(Duration.ofSeconds(5));
            } catch (final RuntimeException e) {
                failure = new IllegalStateException("embedded Kafka: closing the admin client failed", e);
            }
        }
        if (cluster != null) {
            try {
                cluster.close();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = addFailure(
                        failure, new IllegalStateException("embedded Kafka: interrupted while shutting down", e));
            } catch (final Exception e) {
                failure = addFailure(
                        failure,
                        new IllegalStateException(
                                "embedded Kafka: shutting down the cluster failed: " + e.getMessage(), e));
            }
        }
        try {
            org.apache.kafka.common.utils.Utils.delete(dataDirectory.toFile());
        } catch (final IOException e) {
            failure = addFailure(
                    failure,
                    new UncheckedIOException(
                            "embedded Kafka: could not delete the data directory " + dataDirectory, e));
        }
        if (failure != null) {
            LOG.warn("embedded Kafka did not shut down cleanly", failure);
        }
        return failure;
    }

    /**
     * Lets a cancelled start-up unwind, so the shutdown does not race it, then shuts down; the caller's interrupt
     * status is set aside meanwhile, so an interrupted start still cleans up, and restored after.
     */
    private static void cleanUpFailedStart(
            final Thread booter, final KafkaClusterTestKit cluster, final Admin admin, final Path dataDirectory) {
        boolean interrupted = Thread.interrupted();
        try {
            if (booter != null) {
                try {
                    booter.join(START_UNWIND_MS);
                } catch (final InterruptedException e) {
                    interrupted = true;
                }
            }
            shutDown(cluster, admin, dataDirectory);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static RuntimeException addFailure(final RuntimeException first, final RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static Map<String, String> orderedMap(final String... keysAndValues) {
        final Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
