package dev.scissor.schemas;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * An immutable descriptor of a Kafka topic: its name and the serdes of its keys and values.
 *
 * <p>Build descriptors from configuration with the factories in {@link Topics} and pass them to
 * producers, consumers and topologies, instead of keeping serdes in shared mutable fields.
 *
 * <pre>{@code
 * Topic<String, FrameTokens> in = Topics.tokens(settings.tokensTopic());
 * builder.stream(in.name(), Consumed.with(in.keySerde(), in.valueSerde()));
 * }</pre>
 *
 * @param name the topic name; not blank
 * @param keySerde the serde of record keys
 * @param valueSerde the serde of record values
 * @param <K> the key type
 * @param <V> the value type
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

    /**
     * Validates the components.
     *
     * @param name the topic name; not blank
     * @param keySerde the serde of record keys
     * @param valueSerde the serde of record values
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        if (name.isBlank()) {
            throw new IllegalArgumentException("Topic name must not be blank");
        }
    }

    /**
     * Returns a descriptor with the same serdes and another name.
     *
     * @param newName the new topic name; not blank
     * @return a new descriptor
     */
    public Topic<K, V> withName(final String newName) {
        return new Topic<>(newName, keySerde, valueSerde);
    }
}
