package dev.scissor.streams;

import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.AvroTrust;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the compressor's topology: {@code tokens} → compressor → {@code windows}, with dead
 * letters to {@code dlq}.
 *
 * <p>Records are read as raw bytes and decoded by the compressor itself, so that a record that
 * cannot be decoded becomes a dead letter instead of stopping the application. Three RocksDB
 * stores with changelogs hold the state: {@value #STATE_STORE} (per stream: shape, window and
 * reorder-buffer frames, hop count), {@value #FRAME_STORE} (the tokens of those frames) and
 * {@value #LATEST_STORE} (the latest window per stream, serialized, for interactive queries; see
 * {@link LatestWindows}).
 */
public final class CompressorTopology {

    /** Source node name. */
    public static final String SOURCE = "tokens-source";
    /** Processor node name. */
    public static final String PROCESSOR = "scissor-compressor";
    /** Sink node of the windows topic. */
    public static final String WINDOWS_SINK = "windows-sink";
    /** Sink node of the dead-letter topic. */
    public static final String DLQ_SINK = "dlq-sink";
    /** Store of per-stream state. */
    public static final String STATE_STORE = "scissor-stream-state";
    /** Store of the tokens of the frames in each stream's window and reorder buffer. */
    public static final String FRAME_STORE = "scissor-frames";
    /** Store of the latest window of each stream (serialized CompressedWindow). */
    public static final String LATEST_STORE = "scissor-latest-windows";

    /**
     * Largest record the compressor writes to a changelog or the windows topic, and the
     * {@code max.message.bytes} of its changelogs: one frame of tokens (for example 196 x 3584
     * float32 = 2.8 MB) is more than Kafka's default 1 MB.
     */
    public static final int MAX_MESSAGE_BYTES = 64 << 20;

    private CompressorTopology() {}

    /**
     * Builds the topology.
     *
     * @param config the compressor configuration
     * @return a new topology
     */
    public static Topology build(final CompressorConfig config) {
        return build(config, new CompressorMetrics(new Metrics()));
    }

    /**
     * Builds the topology, its processors counting into shared metrics.
     *
     * @param config the compressor configuration
     * @param metrics where every task counts frames, windows and dead letters
     * @return a new topology
     */
    public static Topology build(final CompressorConfig config, final CompressorMetrics metrics) {
        AvroTrust.trustGeneratedClasses();
        final Map<String, String> changelog = Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        final Topology topology = new Topology();
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.tokensTopic());
        topology.addProcessor(PROCESSOR, () -> new CompressorProcessor(config, metrics), SOURCE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(STATE_STORE), Serdes.String(), Serdes.ByteArray())
                        .withLoggingEnabled(changelog),
                PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(FRAME_STORE), Serdes.Bytes(), Serdes.ByteArray())
                        .withLoggingEnabled(changelog)
                        .withCachingDisabled(),
                PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(LATEST_STORE), Serdes.String(), Serdes.ByteArray())
                        .withLoggingEnabled(changelog),
                PROCESSOR);
        topology.addSink(
                WINDOWS_SINK, config.windowsTopic(), new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        topology.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        return topology;
    }
}
