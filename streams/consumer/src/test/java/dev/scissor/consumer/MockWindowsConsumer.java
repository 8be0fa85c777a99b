package dev.scissor.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/**
 * A {@link MockConsumer} over an in-memory log of one topic, for tests of {@link WindowConsumer} and
 * the services built on it: {@link #append} writes a record at the partition's next offset (records
 * appended before {@code assign} are handed over when their partition is assigned), {@code
 * offsetsForTimes} answers like a broker from the log's timestamps (which {@code MockConsumer} does
 * not implement), and an empty {@code poll} waits a little, so that a polling thread does not spin.
 */
public final class MockWindowsConsumer extends MockConsumer<String, byte[]> {

    private static final Node NODE = new Node(0, "localhost", 9092);

    private final String topic;
    private final Map<Integer, List<ConsumerRecord<String, byte[]>>> log = new HashMap<>();

    /**
     * A topic of {@code partitions} empty partitions.
     *
     * @param topic the topic
     * @param partitions how many partitions
     */
    public MockWindowsConsumer(final String topic, final int partitions) {
        super("earliest");
        this.topic = topic;
        final List<PartitionInfo> infos = new ArrayList<>();
        final Map<TopicPartition, Long> zero = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            infos.add(new PartitionInfo(topic, p, NODE, new Node[] {NODE}, new Node[] {NODE}));
            zero.put(new TopicPartition(topic, p), 0L);
            log.put(p, new ArrayList<>());
        }
        updatePartitions(topic, infos);
        updateBeginningOffsets(zero);
        updateEndOffsets(zero);
    }

    /**
     * Appends a record to a partition.
     *
     * @param partition the partition
     * @param key the key, or {@code null}
     * @param value the value, or {@code null}
     * @param timestamp its timestamp, epoch milliseconds
     * @return its offset
     */
    public synchronized long append(final int partition, final String key, final byte[] value, final long timestamp) {
        final List<ConsumerRecord<String, byte[]>> records = log.get(partition);
        final long offset = records.size();
        final ConsumerRecord<String, byte[]> rec = new ConsumerRecord<>(
                topic,
                partition,
                offset,
                timestamp,
                TimestampType.CREATE_TIME,
                key == null ? -1 : key.length(),
                value == null ? -1 : value.length,
                key,
                value,
                new RecordHeaders(),
                Optional.empty());
        records.add(rec);
        final TopicPartition tp = new TopicPartition(topic, partition);
        updateEndOffsets(Map.of(tp, offset + 1));
        if (assignment().contains(tp)) {
            addRecord(rec);
        }
        return offset;
    }

    @Override
    public synchronized void assign(final Collection<TopicPartition> partitions) {
        super.assign(partitions);
        for (final TopicPartition tp : partitions) {
            log.getOrDefault(tp.partition(), List.of()).forEach(this::addRecord);
        }
    }

    @Override
    public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
            final Map<TopicPartition, Long> timestamps, final Duration timeout) {
        final Map<TopicPartition, OffsetAndTimestamp> out = new HashMap<>();
        timestamps.forEach((tp, t) -> {
            OffsetAndTimestamp found = null;
            for (final ConsumerRecord<String, byte[]> r : log.getOrDefault(tp.partition(), List.of())) {
                if (r.timestamp() >= t) {
                    found = new OffsetAndTimestamp(r.offset(), r.timestamp());
                    break;
                }
            }
            out.put(tp, found);
        });
        return out;
    }

    @Override
    public ConsumerRecords<String, byte[]> poll(final Duration timeout) {
        final ConsumerRecords<String, byte[]> records = super.poll(timeout);
        if (records.isEmpty()) {
            try {
                Thread.sleep(Math.min(20, timeout.toMillis()));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return records;
    }
}
