package dev.scissor.consumer;

import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.CompressedWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@link Window}s from the {@code windows} topic, for LLM services that embed Scissor.
 *
 * <p>Two modes:
 * <ul>
 *   <li>{@link #subscribe}: a consumer group shares the topic's partitions (streams) among its
 *       members, and offsets are committed (auto-commit unless the properties say otherwise);
 *   <li>{@link #assignAll(Map, String, Instant, Consumer)}: this consumer reads every partition, without a group, from the
 *       beginning or from a point in time, so that each replica of a service keeps a full index.
 * </ul>
 * Records are read with {@code isolation.level=read_committed} (the compressor writes exactly once,
 * in transactions). A record that is not a valid window (no value, an unknown schema, bytes that do
 * not decode, inconsistent sizes, a key that is not its stream id) is passed to the caller's {@code
 * onMalformed} callback with its coordinates and the reason, and skipped: it is never thrown and
 * never stops the consumer.
 *
 * <pre>{@code
 * try (WindowConsumer windows = WindowConsumer.assignAll(props, "windows", Instant.now().minusSeconds(3600),
 *         bad -> log.warn("skipped {}", bad))) {
 *     while (running) {
 *         for (Window w : windows.poll(Duration.ofMillis(500))) {
 *             index(w);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Like the {@link KafkaConsumer} it owns, an instance is not thread-safe: poll and close it from
 * one thread ({@link #wakeup()} may be called from any thread).
 */
public final class WindowConsumer implements AutoCloseable {

    /**
     * A record that could not be read as a window.
     *
     * @param topic its topic
     * @param partition its partition
     * @param offset its offset
     * @param key its key as text, or {@code null}
     * @param reason why it was skipped
     */
    public record Malformed(String topic, int partition, long offset, String key, String reason) {
        @Override
        public String toString() {
            return topic + "-" + partition + "@" + offset + " (key " + key + "): " + reason;
        }
    }

    private final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
    private final Consumer<Malformed> onMalformed;
    private final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();
    private final String topic;

    private WindowConsumer(final Properties properties, final String topic, final Consumer<Malformed> onMalformed) {
        this(
                new KafkaConsumer<>(properties, new StringDeserializer(), new ByteArrayDeserializer()),
                topic,
                onMalformed);
    }

    /**
     * A consumer over a given client, which it owns from now on (tests pass a {@code MockConsumer}).
     *
     * @param client the client: keys as strings, values as bytes
     * @param topic the windows topic
     * @param onMalformed receives each record that is skipped
     */
    WindowConsumer(
            final org.apache.kafka.clients.consumer.Consumer<String, byte[]> client,
            final String topic,
            final Consumer<Malformed> onMalformed) {
        AvroTrust.trustGeneratedClasses();
        this.consumer = Objects.requireNonNull(client, "client");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.onMalformed = Objects.requireNonNull(onMalformed, "onMalformed");
    }

    private static Properties properties(final Map<String, ?> kafka, final String groupId) {
        final Properties p = new Properties();
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        p.putAll(kafka);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        if (groupId == null) {
            p.remove(ConsumerConfig.GROUP_ID_CONFIG);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        } else {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        if (!p.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG + " is required");
        }
        return p;
    }

    /**
     * A member of a consumer group: the group shares the topic's partitions.
     *
     * @param kafka consumer properties ({@code bootstrap.servers} at least); {@code
     *     isolation.level} is always {@code read_committed}, and {@code auto.offset.reset} defaults to
     *     {@code earliest}
     * @param groupId the consumer group
     * @param topic the windows topic
     * @param onMalformed receives each record that is skipped
     * @return the consumer, subscribed
     */
    public static WindowConsumer subscribe(
            final Map<String, ?> kafka,
            final String groupId,
            final String topic,
            final Consumer<Malformed> onMalformed) {
        Objects.requireNonNull(groupId, "groupId");
        final WindowConsumer c = new WindowConsumer(properties(kafka, groupId), topic, onMalformed);
        c.consumer.subscribe(List.of(topic));
        return c;
    }

    /**
     * A consumer of every partition of the topic, without a group (nothing is committed).
     *
     * @param kafka consumer properties ({@code bootstrap.servers} at least); a {@code group.id}
     *     is ignored
     * @param topic the windows topic, which must exist
     * @param from where to start: {@code null} for the beginning, otherwise the first record at or
     *     after this time (partitions with none start at their end)
     * @param onMalformed receives each record that is skipped
     * @return the consumer, assigned and positioned
     * @throws IllegalStateException when the topic does not exist
     */
    public static WindowConsumer assignAll(
            final Map<String, ?> kafka, final String topic, final Instant from, final Consumer<Malformed> onMalformed) {
        return assignAll(new WindowConsumer(properties(kafka, null), topic, onMalformed), from);
    }

    /**
     * Assigns every partition of the consumer's topic and positions it (see {@link #assignAll(Map,
     * String, Instant, Consumer)}); closes the consumer when that fails.
     *
     * @param c a new consumer
     * @param from where to start, or {@code null} for the beginning
     * @return {@code c}
     */
    static WindowConsumer assignAll(final WindowConsumer c, final Instant from) {
        final String topic = c.topic;
        try {
            final List<PartitionInfo> infos = c.consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic '" + topic + "' does not exist (or has no partitions)");
            }
            final List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            c.consumer.assign(partitions);
            if (from == null) {
                c.consumer.seekToBeginning(partitions);
            } else {
                final Map<TopicPartition, Long> query = new HashMap<>();
                partitions.forEach(tp -> query.put(tp, from.toEpochMilli()));
                final Map<TopicPartition, OffsetAndTimestamp> found =
                        c.consumer.offsetsForTimes(query, Duration.ofSeconds(30));
                final List<TopicPartition> toEnd = new ArrayList<>();
                for (final TopicPartition tp : partitions) {
                    final OffsetAndTimestamp o = found.get(tp);
                    if (o == null) {
                        toEnd.add(tp);
                    } else {
                        c.consumer.seek(tp, o.offset());
                    }
                }
                c.consumer.seekToEnd(toEnd);
            }
            return c;
        } catch (final RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Polls for windows.
     *
     * @param timeout how long to wait when none is ready
     * @return the valid windows read, in partition order (possibly none)
     * @throws org.apache.kafka.common.errors.WakeupException after {@link #wakeup()}
     */
    public List<Window> poll(final Duration timeout) {
        final List<Window> out = new ArrayList<>();
        for (final ConsumerRecord<String, byte[]> rec : consumer.poll(timeout)) {
            final Window w = decode(rec);
            if (w != null) {
                out.add(w);
            }
        }
        return out;
    }

    private Window decode(final ConsumerRecord<String, byte[]> rec) {
        final byte[] value = rec.value();
        String reason;
        if (value == null) {
            reason = "the record has no value (a tombstone?); windows carry a CompressedWindow";
        } else {
            try {
                final long fingerprint = AvroSingleObjectSerde.fingerprintOf(value);
                if (!serde.knownFingerprints().contains(fingerprint)) {
                    reason = String.format(
                            "written with schema fingerprint 0x%016X, which is not a CompressedWindow "
                                    + "schema this consumer knows; upgrade the consumer or check the producer",
                            fingerprint);
                } else {
                    final Window w = Window.of(serde.deserializer().deserialize(rec.topic(), value));
                    if (rec.key() != null && !rec.key().equals(w.streamId())) {
                        reason = "the record key '" + rec.key() + "' is not the window's stream id '" + w.streamId()
                                + "'";
                    } else {
                        return w;
                    }
                }
            } catch (final RuntimeException e) {
                reason = e.getMessage() == null ? e.toString() : e.getMessage();
            }
        }
        try {
            onMalformed.accept(new Malformed(rec.topic(), rec.partition(), rec.offset(), rec.key(), reason));
        } catch (final RuntimeException ignored) {
            // the callback's own failure must not stop the consumer
        }
        return null;
    }

    /** The windows topic. */
    public String topic() {
        return topic;
    }

    /**
     * The largest lag (records behind the end) over this consumer's partitions, from the client's
     * {@code records-lag-max} metric; {@code NaN} before the first fetch.
     *
     * @return the lag
     */
    public double maxLag() {
        for (final Map.Entry<MetricName, ? extends Metric> e :
                consumer.metrics().entrySet()) {
            if (e.getKey().name().equals("records-lag-max")
                    && e.getKey().group().equals("consumer-fetch-manager-metrics")
                    && !e.getKey().tags().containsKey("topic")) {
                final Object v = e.getValue().metricValue();
                return v instanceof Number n ? n.doubleValue() : Double.NaN;
            }
        }
        return Double.NaN;
    }

    /**
     * The total lag now: end offsets minus positions over the assigned partitions (asks the
     * broker; call it from the polling thread).
     *
     * @return records not read yet
     */
    public long lag() {
        final var assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return 0;
        }
        long lag = 0;
        for (final Map.Entry<TopicPartition, Long> e :
                consumer.endOffsets(assigned, Duration.ofSeconds(5)).entrySet()) {
            lag += Math.max(0, e.getValue() - consumer.position(e.getKey(), Duration.ofSeconds(5)));
        }
        return lag;
    }

    /**
     * Hands the Kafka client to a metrics binder (such as Micrometer's {@code KafkaClientMetrics}),
     * which reads its {@code metrics()} from any thread; poll, commit and close it through this
     * object only.
     *
     * @param binder receives the client
     * @param <T> what the binder returns
     * @return what the binder returned
     */
    public <T> T bindMetrics(final Function<org.apache.kafka.clients.consumer.Consumer<?, ?>, T> binder) {
        return binder.apply(consumer);
    }

    /** Makes a blocked or the next {@link #poll} throw {@code WakeupException}; safe from any thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    /** Closes the Kafka consumer. */
    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
