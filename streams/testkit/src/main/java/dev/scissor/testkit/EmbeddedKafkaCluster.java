package dev.scissor.testkit;

import dev.scissor.kafka.KafkaTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process Apache Kafka cluster in KRaft mode with several brokers and one separate controller, each broker on
 * its own free localhost port, with their data in a fresh temporary directory: the cluster for tests of leader loss
 * and replication.
 *
 * <p>It is configured as a production cluster of three: the internal topics (consumer offsets, transaction state,
 * share group state) and topics created without a replication factor (Kafka Streams' changelogs) have replication
 * factor 3 (at most the broker count) and {@code min.insync.replicas=2} (one less), so any one broker may be
 * stopped while producers with {@code acks=all}, consumer groups and transactions go on. Close it to stop the
 * cluster and delete its data.
 *
 * <pre>{@code
 * try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(3)) {
 *     kafka.createTopics(Map.of("frames", 4));                          // replication factor 3
 *     int leader = kafka.leaderOfMostPartitions(List.of("frames"));
 *     kafka.stopBroker(leader);
 *     ...
 *     kafka.startBroker(leader, Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>Like {@link EmbeddedKafka} it is built on Kafka's internal {@code KafkaClusterTestKit}. The class is
 * thread-safe.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    /** How long {@link #start(int)} waits for the brokers to be ready. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(90);

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);

    private final KafkaClusterTestKit cluster;
    private final Admin admin;
    private final Path dataDirectory;
    private final String bootstrapServers;
    private final short replicationFactor;
    private final Set<Integer> stopped = new TreeSet<>();
    private boolean closed;

    private EmbeddedKafkaCluster(
            final KafkaClusterTestKit cluster,
            final Admin admin,
            final Path dataDirectory,
            final String bootstrapServers,
            final short replicationFactor) {
        this.cluster = cluster;
        this.admin = admin;
        this.dataDirectory = dataDirectory;
        this.bootstrapServers = bootstrapServers;
        this.replicationFactor = replicationFactor;
    }

    /**
     * Starts a cluster of {@code brokers} brokers and one controller and waits, up to
     * {@link #DEFAULT_START_TIMEOUT}, until every broker is ready.
     *
     * @param brokers the broker count, 1 to 5; replication factor min(3, brokers), min.insync.replicas one less
     *     (at least 1)
     * @return the running cluster; close it when done
     * @throws IllegalArgumentException if {@code brokers} is out of range
     * @throws IllegalStateException if the cluster does not start in time; whatever was started is shut down
     */
    public static EmbeddedKafkaCluster start(final int brokers) {
        if (brokers < 1 || brokers > 5) {
            throw new IllegalArgumentException("brokers must be 1 to 5, got " + brokers);
        }
        final short rf = (short) Math.min(3, brokers);
        final String minIsr = Integer.toString(Math.max(1, rf - 1));
        final Map<String, String> config = new LinkedHashMap<>();
        config.put("offsets.topic.replication.factor", Short.toString(rf));
        config.put("transaction.state.log.replication.factor", Short.toString(rf));
        config.put("transaction.state.log.min.isr", minIsr);
        config.put("share.coordinator.state.topic.replication.factor", Short.toString(rf));
        config.put("share.coordinator.state.topic.min.isr", minIsr);
        config.put("default.replication.factor", Short.toString(rf));
        config.put("min.insync.replicas", minIsr);
        config.put("offsets.topic.num.partitions", "3");
        config.put("transaction.state.log.num.partitions", "3");
        config.put("share.coordinator.state.topic.num.partitions", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("message.max.bytes", Integer.toString(64 << 20));
        config.put("replica.fetch.max.bytes", Integer.toString(64 << 20));
        config.put("unstable.api.versions.enable", "false");
        config.put("unstable.feature.versions.enable", "false");
        final long t0 = System.nanoTime();
        final Path dataDirectory;
        try {
            dataDirectory = Files.createTempDirectory("scissor-kafka-cluster-");
        } catch (final IOException e) {
            throw new UncheckedIOException("embedded Kafka cluster: could not create a data directory", e);
        }
        KafkaClusterTestKit cluster = null;
        Admin admin = null;
        try {
            final KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setBaseDirectory(dataDirectory)
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                    .setCombined(false)
                    .setNumBrokerNodes(brokers)
                    .setNumControllerNodes(1)
                    .build());
            config.forEach(builder::setConfigProp);
            cluster = builder.build();
            final KafkaClusterTestKit c = cluster;
            runBounded("starting " + brokers + " brokers", DEFAULT_START_TIMEOUT, () -> {
                c.format();
                c.startup();
                c.waitForReadyBrokers();
            });
            final String bootstrap = cluster.bootstrapServers();
            admin = Admin.create(Map.of(
                    CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap,
                    CommonClientConfigs.CLIENT_ID_CONFIG,
                    "embedded-kafka-cluster-admin"));
            LOG.info(
                    "embedded Kafka cluster of {} brokers ready at {} in {} ms (data in {})",
                    brokers,
                    bootstrap,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    dataDirectory);
            return new EmbeddedKafkaCluster(cluster, admin, dataDirectory, bootstrap, rf);
        } catch (final Exception e) {
            shutDown(cluster, admin, dataDirectory);
            throw e instanceof RuntimeException r
                    ? r
                    : new IllegalStateException("embedded Kafka cluster did not start: " + e, e);
        }
    }

    /**
     * The address clients connect to: every broker's.
     *
     * @return the {@code bootstrap.servers} value, such as {@code localhost:40123,localhost:40125,localhost:40127}
     */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * An admin client connected to this cluster, owned by it: callers must not close it.
     *
     * @return the admin client
     * @throws IllegalStateException if this cluster is closed
     */
    public synchronized Admin admin() {
        ensureOpen();
        return admin;
    }

    /**
     * The ids of every broker, running or stopped.
     *
     * @return the broker ids, ascending
     */
    public Set<Integer> brokerIds() {
        return new TreeSet<>(cluster.brokers().keySet());
    }

    /**
     * Creates topics with the cluster's replication factor and {@code max.message.bytes} of 64 MiB, and waits
     * until every partition has a leader; existing topics are kept (see {@link KafkaTopics#ensure}).
     *
     * @param partitionsByName the partition count, at least 1, of each topic
     * @throws IllegalStateException if the cluster is closed, refuses a topic, or it is not ready in time
     */
    public void createTopics(final Map<String, Integer> partitionsByName) {
        KafkaTopics.ensure(
                admin(),
                partitionsByName,
                replicationFactor,
                Map.of("max.message.bytes", Integer.toString(64 << 20)),
                EmbeddedKafka.TOPIC_TIMEOUT);
    }

    /**
     * How many partitions of the given topics each broker leads now.
     *
     * @param topics existing topics
     * @return partitions led, by broker id; a broker that leads none is absent
     * @throws IllegalStateException if the topics cannot be described within 10 s
     */
    public Map<Integer, Integer> leaderCounts(final Collection<String> topics) {
        final Map<String, TopicDescription> described;
        try {
            described = admin().describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            throw new InterruptException(e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("embedded Kafka cluster: could not describe " + topics + ": " + e, e);
        }
        return described.values().stream()
                .flatMap(d -> d.partitions().stream())
                .map(TopicPartitionInfo::leader)
                .filter(Objects::nonNull)
                .filter(n -> !n.isEmpty())
                .collect(Collectors.toMap(Node::id, n -> 1, Integer::sum, TreeMap::new));
    }

    /**
     * The broker that leads the most partitions of the given topics (the lowest id among equals).
     *
     * @param topics existing topics
     * @return its id
     * @throws IllegalStateException if no partition of the topics has a leader
     */
    public int leaderOfMostPartitions(final Collection<String> topics) {
        int best = -1;
        int most = 0;
        for (final Map.Entry<Integer, Integer> e : leaderCounts(topics).entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        if (best < 0) {
            throw new IllegalStateException("no partition of " + topics + " has a leader");
        }
        return best;
    }

    /**
     * Stops one broker (a controlled shutdown): the controller moves its leaderships to the in-sync followers and
     * its port stops answering, while its data directory and port are kept for {@link #startBroker}. Stopping a
     * stopped broker does nothing.
     *
     * @param id the broker's id
     * @throws IllegalArgumentException if there is no such broker
     * @throws IllegalStateException if the cluster is closed
     */
    public synchronized void stopBroker(final int id) {
        ensureOpen();
        final BrokerServer broker = broker(id);
        if (!stopped.add(id)) {
            return;
        }
        final long t0 = System.nanoTime();
        broker.shutdown();
        LOG.info(
                "embedded Kafka cluster: broker {} stopped in {} ms (data kept)",
                id,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Starts a broker stopped by {@link #stopBroker} again, on its data directory and port, and waits, up to
     * {@code timeout}, until the cluster lists it again. Starting a running broker does nothing.
     *
     * @param id the broker's id
     * @param timeout how long to wait
     * @throws IllegalArgumentException if there is no such broker
     * @throws IllegalStateException if the cluster is closed, or the broker is not back in time
     */
    public synchronized void startBroker(final int id, final Duration timeout) {
        ensureOpen();
        final BrokerServer broker = broker(id);
        if (!stopped.contains(id)) {
            return;
        }
        final long t0 = System.nanoTime();
        runBounded("restarting broker " + id, timeout, () -> {
            broker.startup();
            while (admin.describeCluster().nodes().get().stream().noneMatch(n -> n.id() == id)) {
                Thread.sleep(100);
            }
        });
        stopped.remove(id);
        LOG.info(
                "embedded Kafka cluster: broker {} restarted in {} ms",
                id,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Shuts the cluster down, stopped brokers included, and deletes its data directory. Calling it again does
     * nothing.
     *
     * @throws IllegalStateException if shutting down failed; the data directory is deleted all the same
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
        LOG.info("embedded Kafka cluster at {} stopped", bootstrapServers);
    }

    private BrokerServer broker(final int id) {
        final BrokerServer broker = cluster.brokers().get(id);
        if (broker == null) {
            throw new IllegalArgumentException("no broker " + id + "; brokers are " + brokerIds());
        }
        return broker;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("embedded Kafka cluster at " + bootstrapServers + " is closed");
        }
    }

    /** A step that may block. */
    private interface Step {
        void run() throws Exception;
    }

    /** Runs a step on its own thread, so that a hang ends after {@code timeout} with a message saying which. */
    private static void runBounded(final String what, final Duration timeout, final Step step) {
        final FutureTask<Void> task = new FutureTask<>(() -> {
            step.run();
            return null;
        });
        final Thread thread = new Thread(task, "embedded-kafka-cluster");
        thread.setDaemon(true);
        thread.start();
        try {
            task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            throw new InterruptException("embedded Kafka cluster: interrupted while " + what, e);
        } catch (final ExecutionException | TimeoutException e) {
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(
                    "embedded Kafka cluster: failed or timed out after " + timeout.toMillis() + " ms while " + what
                            + ": " + cause,
                    cause);
        } finally {
            task.cancel(true);
        }
    }

    private static RuntimeException shutDown(
            final KafkaClusterTestKit cluster, final Admin admin, final Path dataDirectory) {
        RuntimeException failure = null;
        if (admin != null) {
            try {
                admin.close(Duration.ofSeconds(5));
            } catch (final RuntimeException e) {
                failure = new IllegalStateException("embedded Kafka cluster: closing the admin client failed", e);
            }
        }
        if (cluster != null) {
            try {
                cluster.close();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = first(
                        failure,
                        new IllegalStateException("embedded Kafka cluster: interrupted while " + "shutting down", e));
            } catch (final Exception e) {
                failure = first(
                        failure,
                        new IllegalStateException(
                                "embedded Kafka cluster: shutting down failed: " + e.getMessage(), e));
            }
        }
        try {
            org.apache.kafka.common.utils.Utils.delete(dataDirectory.toFile());
        } catch (final IOException e) {
            failure = first(
                    failure, new UncheckedIOException("embedded Kafka cluster: could not delete " + dataDirectory, e));
        }
        return failure;
    }

    private static RuntimeException first(final RuntimeException first, final RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
