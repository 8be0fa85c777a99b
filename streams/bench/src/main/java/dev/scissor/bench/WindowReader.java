package dev.scissor.bench;

import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.CompressedWindow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the windows and dead-letter topics with {@code read_committed} on its own thread, which
 * owns the consumer; counts windows, sums their compute time and records latencies.
 */
final class WindowReader implements AutoCloseable {

    /** The reader thread's name (and its consumer's client id). */
    static final String READER_THREAD = "scissor-bench-reader";

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
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
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
                    .mapToLong(Long::longValue)
                    .toArray();
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
