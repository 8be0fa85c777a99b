package dev.scissor.consumer;

import dev.scissor.schemas.avro.CompressedWindow;

/** Lets other test packages build the sample windows of {@link WindowTest}. */
public final class WindowTestAccess {

    private WindowTestAccess() {}

    /**
     * A sample window record (see {@code WindowTest.record}).
     *
     * @param stream the stream
     * @param first the first frame
     * @param count tokens
     * @param dim dimension
     * @return the builder
     */
    public static CompressedWindow.Builder record(
            final String stream, final long first, final int count, final int dim) {
        return WindowTest.record(stream, first, count, dim);
    }

    /**
     * The sample window record with float16 tokens (see {@code WindowTest.halfRecord}).
     *
     * @param stream the stream
     * @param first the first frame
     * @param count tokens
     * @param dim dimension
     * @return the builder
     */
    public static CompressedWindow.Builder halfRecord(
            final String stream, final long first, final int count, final int dim) {
        return WindowTest.halfRecord(stream, first, count, dim);
    }

    /**
     * A window consumer over a given client (the package-private constructor).
     *
     * @param client the client, e.g. a {@link MockWindowsConsumer}
     * @param topic the windows topic
     * @param onMalformed receives each skipped record
     * @return the consumer, which owns the client
     */
    public static WindowConsumer consumer(
            final org.apache.kafka.clients.consumer.Consumer<String, byte[]> client,
            final String topic,
            final java.util.function.Consumer<WindowConsumer.Malformed> onMalformed) {
        return new WindowConsumer(client, topic, onMalformed);
    }

    /**
     * {@code WindowConsumer.assignAll} over a given consumer.
     *
     * @param consumer the consumer
     * @param from where to start, or {@code null} for the beginning
     * @return the consumer, assigned and positioned
     */
    public static WindowConsumer assignAll(final WindowConsumer consumer, final java.time.Instant from) {
        return WindowConsumer.assignAll(consumer, from);
    }
}
