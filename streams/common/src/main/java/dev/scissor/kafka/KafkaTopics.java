package dev.scissor.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics a pipeline needs, leaving topics that already exist as they are. */
public final class KafkaTopics {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

    private static final long RETRY_BACKOFF_MS = 50;

    private KafkaTopics() {}

    /**
     * Makes sure every named topic exists and is usable, then returns each topic's actual partition count.
     *
     * <p>A missing topic is created with the requested partition count and replication factor. A topic that
     * already exists, including one another client creates concurrently, is kept as it is: its partitions are
     * never added or removed, and a partition count that differs from the requested one is logged as a warning
     * and shows in the returned map, so the caller decides whether that matters. The method returns once every
     * topic is described by the cluster with a leader for each of its partitions, so producers and consumers can
     * use it at once. Calling it again with the same arguments is harmless.
     *
     * @param admin the client to use; not closed
     * @param partitionsByName the requested partition count (at least 1) of each topic
     * @param replicationFactor the replication factor of the topics this call creates (at least 1)
     * @param timeout how long to wait in all for the topics to be created and have leaders
     * @return the actual partition count of each requested topic, in the order of {@code partitionsByName}
     * @throws IllegalArgumentException if a name is blank, a partition count or the replication factor is
     *     below 1, or the timeout is not positive
     * @throws IllegalStateException if the cluster refuses to create a topic, or the topics are not ready
     *     within the timeout
     * @throws InterruptException if the calling thread is interrupted while waiting
     */
    public static Map<String, Integer> ensure(
            final Admin admin,
            final Map<String, Integer> partitionsByName,
            final short replicationFactor,
            final Duration timeout) {
        return ensure(admin, partitionsByName, replicationFactor, Map.of(), timeout);
    }

    /**
     * {@link #ensure(Admin, Map, short, Duration)}, creating missing topics with topic configs (for
     * example {@code max.message.bytes}); existing topics keep theirs.
     *
     * @param admin the client to use; not closed
     * @param partitionsByName the requested partition count (at least 1) of each topic
     * @param replicationFactor the replication factor of the topics this call creates (at least 1)
     * @param topicConfigs configs of the topics this call creates
     * @param timeout how long to wait in all for the topics to be created and have leaders
     * @return the actual partition count of each requested topic, in the order of {@code partitionsByName}
     */
    public static Map<String, Integer> ensure(
            final Admin admin,
            final Map<String, Integer> partitionsByName,
            final short replicationFactor,
            final Map<String, String> topicConfigs,
            final Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(partitionsByName, "partitionsByName");
        Objects.requireNonNull(timeout, "timeout");
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor must be at least 1, got " + replicationFactor);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        final List<NewTopic> requested = new ArrayList<>(partitionsByName.size());
        partitionsByName.forEach((name, partitions) -> {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("topic name must not be blank, got '" + name + "'");
            }
            if (partitions == null || partitions < 1) {
                throw new IllegalArgumentException(
                        "topic '" + name + "' needs at least 1 partition, got " + partitions);
            }
            requested.add(new NewTopic(name, partitions, replicationFactor).configs(topicConfigs));
        });
        if (requested.isEmpty()) {
            return Map.of();
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        final Map<String, KafkaFuture<Void>> created =
                admin.createTopics(requested).values();
        for (final NewTopic topic : requested) {
            try {
                created.get(topic.name()).get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                LOG.debug("created topic {} with {} partitions", topic.name(), topic.numPartitions());
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "could not create topic '" + topic.name() + "' with "
                                    + topic.numPartitions() + " partitions and replication factor " + replicationFactor
                                    + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (final TimeoutException e) {
                throw new IllegalStateException(
                        "timed out after " + timeout.toMillis() + " ms creating topic '" + topic.name() + "'", e);
            } catch (final InterruptedException e) {
                throw new InterruptException("interrupted while creating topic '" + topic.name() + "'", e);
            }
        }
        final Map<String, TopicDescription> described =
                awaitLeaders(admin, partitionsByName.keySet(), deadline, timeout);
        final Map<String, Integer> actual = new LinkedHashMap<>();
        partitionsByName.forEach((name, partitions) -> {
            final int count = described.get(name).partitions().size();
            if (count != partitions) {
                LOG.warn(
                        "topic {} already exists with {} partitions, not the {} requested; keeping it as it is",
                        name,
                        count,
                        partitions);
            }
            actual.put(name, count);
        });
        return actual;
    }

    private static Map<String, TopicDescription> awaitLeaders(
            final Admin admin, final Set<String> names, final long deadline, final Duration timeout) {
        String waitingFor = names.toString();
        Throwable lastError = null;
        while (true) {
            try {
                final Map<String, TopicDescription> described =
                        admin.describeTopics(names).allTopicNames().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                final Optional<String> leaderless = described.values().stream()
                        .filter(d -> d.partitions().stream()
                                .map(TopicPartitionInfo::leader)
                                .anyMatch(leader -> leader == null || leader.isEmpty()))
                        .map(TopicDescription::name)
                        .findFirst();
                if (leaderless.isEmpty()) {
                    return described;
                }
                waitingFor = "a leader for every partition of '" + leaderless.get() + "'";
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException(
                            "could not describe topics " + names + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
                lastError = e.getCause();
                waitingFor = "the broker to learn of topics " + names;
            } catch (final TimeoutException e) {
                lastError = e;
            } catch (final InterruptedException e) {
                throw new InterruptException("interrupted while waiting for topics " + names, e);
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_BACKOFF_MS) >= deadline) {
                throw new IllegalStateException(
                        "timed out after " + timeout.toMillis() + " ms waiting for " + waitingFor, lastError);
            }
            try {
                Thread.sleep(RETRY_BACKOFF_MS);
            } catch (final InterruptedException e) {
                throw new InterruptException("interrupted while waiting for topics " + names, e);
            }
        }
    }

    private static long remainingMs(final long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}
