package dev.scissor.streams;

import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.CompressedWindow;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive query of the latest compressed window of each stream, read from the compressor's
 * {@value CompressorTopology#LATEST_STORE} store of a running {@link KafkaStreams} instance.
 *
 * <p>A stream's window lives on the instance that owns the stream's partition; {@link
 * #owner(String)} tells which one (its {@code application.server}), so a service in front of
 * several instances can forward the query there.
 */
public final class LatestWindows {

    private final KafkaStreams streams;
    private final AvroSingleObjectSerde<CompressedWindow> serde = ScissorSerdes.compressedWindow();

    /**
     * Queries a running compressor.
     *
     * @param streams the compressor's Kafka Streams instance
     */
    public LatestWindows(final KafkaStreams streams) {
        this.streams = streams;
    }

    /**
     * Returns the latest window of a stream held by this instance.
     *
     * @param streamId the stream
     * @return the window, or empty when this instance has none for the stream (never emitted, or
     *     another instance owns it)
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException while the store is not
     *     queryable (the instance is starting or rebalancing): retry
     */
    public Optional<CompressedWindow> latest(final String streamId) {
        final ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                CompressorTopology.LATEST_STORE, QueryableStoreTypes.keyValueStore()));
        final byte[] bytes = store.get(streamId);
        return bytes == null
                ? Optional.empty()
                : Optional.of(serde.deserializer().deserialize(CompressorTopology.LATEST_STORE, bytes));
    }

    /**
     * Tells which instance holds a stream's latest window.
     *
     * @param streamId the stream
     * @return the owner's metadata ({@link KeyQueryMetadata#activeHost()}), or {@link
     *     KeyQueryMetadata#NOT_AVAILABLE} while unknown
     */
    public KeyQueryMetadata owner(final String streamId) {
        return streams.queryMetadataForKey(
                CompressorTopology.LATEST_STORE, streamId, Serdes.String().serializer());
    }
}
