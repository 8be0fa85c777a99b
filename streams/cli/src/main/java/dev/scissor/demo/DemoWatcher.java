package dev.scissor.demo;

import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.streams.CompressorTopology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the three topics as a consumer of the pipeline would: the frames (kept for the
 * pictures), the tokens (kept for the newest windows, whose components the pictures show) and the windows
 * (read committed), on its own thread.
 */
final class DemoWatcher implements AutoCloseable {

    /** Send times kept for the latency of windows still to come (a fast file runs far ahead). */
    private static final int SENT_TIMES_HELD = 1 << 16;

    /* What the watcher saw, by frame sequence. */
    private final ConcurrentSkipListMap<Long, byte[]> jpegs = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, Long> sentAt = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, float[]> frameTokens = new ConcurrentSkipListMap<>();
    private final AtomicLong tokenFramesSeen = new AtomicLong();
    private volatile long firstTokenSequence = Long.MAX_VALUE;
    private final List<CompressedWindow> windows = new CopyOnWriteArrayList<>();
    private final List<Long> windowLatencyMs = new CopyOnWriteArrayList<>();
    private final AtomicReference<FrameTokens> gridShape = new AtomicReference<>();

    private final String streamId;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long dlq;
    private final int heldFrames;

    DemoWatcher(final String bootstrap, final String streamId, final List<String> topics, final int heldFrames) {
        this.streamId = streamId;
        this.heldFrames = heldFrames;
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, CompressorTopology.MAX_MESSAGE_BYTES);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, CompressorTopology.MAX_MESSAGE_BYTES);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        final List<TopicPartition> parts = new ArrayList<>();
        topics.forEach(t -> parts.add(new TopicPartition(t, 0)));
        consumer.assign(parts);
        consumer.seekToEnd(parts); // only this run's records, also on a shared broker
        parts.forEach(consumer::position);
        this.thread = new Thread(this::loop, "scissor-demo-watcher");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    long compressorDeadLetters() {
        return dlq;
    }

    /** The windows read so far, in arrival order. */
    List<CompressedWindow> windows() {
        return windows;
    }

    /** Send-to-read latency of each window read so far, in milliseconds. */
    List<Long> windowLatencyMs() {
        return windowLatencyMs;
    }

    /** How many token frames were read. */
    long tokenFramesSeen() {
        return tokenFramesSeen.get();
    }

    /** The sequence of the first token frame read, or {@link Long#MAX_VALUE} before one. */
    long firstTokenSequence() {
        return firstTokenSequence;
    }

    /** The first token frame read (its grid and dimension), or null before one. */
    FrameTokens gridShape() {
        return gridShape.get();
    }

    /** The newest frames' tokens, by sequence. */
    Map<Long, float[]> frameTokens() {
        return frameTokens;
    }

    /** The newest frames' JPEG images, by sequence. */
    Map<Long, byte[]> jpegs() {
        return jpegs;
    }

    private void loop() {
        final var frames = ScissorSerdes.videoFrame().deserializer();
        final var tokens = ScissorSerdes.frameTokens().deserializer();
        final var windowSerde = ScissorSerdes.compressedWindow().deserializer();
        while (running) {
            for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (!streamId.equals(r.key())) {
                    continue;
                }
                switch (r.topic()) {
                    case "frames" -> {
                        final VideoFrame f = frames.deserialize(r.topic(), r.value());
                        sentAt.put(f.getSequence(), r.timestamp());
                        trim(sentAt, SENT_TIMES_HELD);
                        final byte[] img = new byte[f.getImage().remaining()];
                        f.getImage().duplicate().get(img);
                        jpegs.put(f.getSequence(), img);
                        trim(jpegs, 2 * heldFrames);
                    }
                    case "tokens" -> {
                        final FrameTokens t = tokens.deserialize(r.topic(), r.value());
                        gridShape.compareAndSet(null, t);
                        if (tokenFramesSeen.getAndIncrement() == 0) {
                            firstTokenSequence = t.getSequence();
                        }
                        frameTokens.put(t.getSequence(), TensorBytes.decode(t));
                        trim(frameTokens, 2 * heldFrames);
                    }
                    case "windows" -> {
                        final CompressedWindow w = windowSerde.deserialize(r.topic(), r.value());
                        final Long sent = sentAt.get(w.getLastSequence());
                        if (sent != null) {
                            windowLatencyMs.add(System.currentTimeMillis() - sent);
                        }
                        windows.add(w);
                    }
                    case "dlq" -> dlq++;
                    default -> {}
                }
            }
        }
    }

    /** Keeps the newest {@code limit} entries, so a long run stays bounded. */
    private void trim(final ConcurrentSkipListMap<Long, ?> m, final int limit) {
        while (m.size() > limit) {
            m.pollFirstEntry();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
        consumer.close(Duration.ofSeconds(5));
    }
}
