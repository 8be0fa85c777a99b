package dev.scissor.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for generated Avro records that uses Avro <a
 * href="https://avro.apache.org/docs/1.12.0/specification/#single-object-encoding">single-object
 * encoding</a> and needs no schema registry.
 *
 * <p>Each message is the two marker bytes {@code C3 01}, the 8-byte little-endian CRC-64-AVRO
 * fingerprint of the writer schema, and then the Avro binary datum. The deserializer resolves the
 * fingerprint against the record's current schema and the older writer schemas given to the
 * constructor, so a consumer on schema version N reads records written with any registered
 * version, with the defaults of fields the writer did not have filled in.
 *
 * <p>Behaviour:
 *
 * <ul>
 *   <li>{@code null} serializes to {@code null} and {@code null} bytes deserialize to {@code
 *       null} (tombstones pass through).
 *   <li>A fingerprint that is not registered, bytes without the single-object header, and
 *       truncated or malformed data all throw {@link SerializationException}; the message names
 *       the record type, the topic and, for an unknown fingerprint, the fingerprint seen and the
 *       ones known.
 *   <li>A string or bytes length in the datum larger than what the message still holds is
 *       rejected before anything of that length is allocated, so a record of a few bytes cannot
 *       make a consumer allocate gigabytes (Avro's stream decoder would).
 *   <li>The instance is immutable and thread-safe; {@link #configure} and {@link #close} do
 *       nothing, so one instance may be shared by many clients and topologies.
 * </ul>
 *
 * <p>The constructor makes Avro trust the generated classes ({@link
 * AvroTrust#trustGeneratedClasses()}).
 *
 * <pre>{@code
 * Serde<CompressedWindow> serde =
 *     new AvroSingleObjectSerde<>(CompressedWindow.class, previousCompressedWindowSchema);
 * byte[] bytes = serde.serializer().serialize("windows", window);
 * CompressedWindow back = serde.deserializer().deserialize("windows", bytes);
 * }</pre>
 *
 * @param <T> the generated record type
 */
public final class AvroSingleObjectSerde<T extends SpecificRecord> implements Serde<T> {

    /** Length of the single-object header: 2 marker bytes plus the 8-byte fingerprint. */
    static final int HEADER_LENGTH = 10;

    private static final byte MARKER_0 = (byte) 0xC3;
    private static final byte MARKER_1 = (byte) 0x01;

    private final Class<T> type;
    private final Schema schema;
    private final List<Schema> previousSchemas;
    private final List<Long> knownFingerprints;
    private final BinaryMessageEncoder<T> encoder;
    /** Readers by writer-schema fingerprint, each resolving that writer schema to {@link #schema}. */
    private final Map<Long, DatumReader<T>> readers = new HashMap<>();

    private final Serializer<T> serializer = new SingleObjectSerializer();
    private final Deserializer<T> deserializer = new SingleObjectDeserializer();

    /**
     * Creates a serde for a generated record class.
     *
     * @param type the generated record class, for example {@code VideoFrame.class}
     * @param previousWriterSchemas older versions of the record's schema whose records must stay
     *     readable; each must be readable as {@code type} (fields it lacks need defaults)
     * @throws NullPointerException if {@code type} or a schema is {@code null}
     * @throws IllegalArgumentException if a previous schema is not a record with the same full name
     *     as {@code type}'s schema
     */
    public AvroSingleObjectSerde(final Class<T> type, final Schema... previousWriterSchemas) {
        this(type, List.of(previousWriterSchemas));
    }

    /**
     * Creates a serde for a generated record class.
     *
     * @param type the generated record class, for example {@code VideoFrame.class}
     * @param previousWriterSchemas older versions of the record's schema whose records must stay
     *     readable; each must be readable as {@code type} (fields it lacks need defaults)
     * @throws NullPointerException if {@code type} or a schema is {@code null}
     * @throws IllegalArgumentException if a previous schema is not a record with the same full name
     *     as {@code type}'s schema
     */
    public AvroSingleObjectSerde(final Class<T> type, final List<Schema> previousWriterSchemas) {
        AvroTrust.trustGeneratedClasses();
        this.type = Objects.requireNonNull(type, "type");
        final SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.previousSchemas = List.copyOf(previousWriterSchemas);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        final List<Long> fingerprints = new ArrayList<>();
        fingerprints.add(fingerprint(schema));
        readers.put(fingerprint(schema), reader(model, schema, schema));
        for (final Schema previous : previousSchemas) {
            if (previous.getType() != Schema.Type.RECORD
                    || !previous.getFullName().equals(schema.getFullName())) {
                throw new IllegalArgumentException("Previous writer schema "
                        + previous.getFullName()
                        + " is not a version of "
                        + schema.getFullName());
            }
            readers.putIfAbsent(fingerprint(previous), reader(model, previous, schema));
            fingerprints.add(fingerprint(previous));
        }
        this.knownFingerprints = Collections.unmodifiableList(fingerprints);
    }

    @SuppressWarnings("unchecked")
    private static <T> DatumReader<T> reader(final SpecificData model, final Schema writer, final Schema reader) {
        return (DatumReader<T>) model.createDatumReader(writer, reader);
    }

    /**
     * Returns the CRC-64-AVRO fingerprint that single-object encoding writes for a schema.
     *
     * @param schema the schema
     * @return the 64-bit parsing fingerprint of the schema
     */
    public static long fingerprint(final Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /**
     * Reads the writer-schema fingerprint from a single-object encoded message without decoding it.
     *
     * @param message the encoded bytes
     * @return the fingerprint in the header
     * @throws SerializationException if the bytes do not start with a single-object header
     */
    public static long fingerprintOf(final byte[] message) {
        if (message == null || message.length < HEADER_LENGTH) {
            throw new SerializationException("Not an Avro single-object message: "
                    + (message == null ? "null" : message.length + " bytes")
                    + ", but the header alone takes "
                    + HEADER_LENGTH);
        }
        if (message[0] != MARKER_0 || message[1] != MARKER_1) {
            throw new SerializationException(String.format(
                    "Not an Avro single-object message: expected header bytes C3 01, found %02X %02X",
                    message[0], message[1]));
        }
        return ByteBuffer.wrap(message, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * Returns the generated record class this serde handles.
     *
     * @return the record class
     */
    public Class<T> type() {
        return type;
    }

    /**
     * Returns the current (reader and writer) schema.
     *
     * @return the schema of {@link #type()}
     */
    public Schema schema() {
        return schema;
    }

    /**
     * Returns the older writer schemas registered with the deserializer.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Schema> previousSchemas() {
        return previousSchemas;
    }

    /**
     * Returns the fingerprints the deserializer accepts, the current schema's first.
     *
     * @return an unmodifiable list of CRC-64-AVRO fingerprints
     */
    public List<Long> knownFingerprints() {
        return knownFingerprints;
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    private String typeName() {
        return type.getSimpleName();
    }

    private static String hex(final long fingerprint) {
        return String.format("0x%016X", fingerprint);
    }

    private final class SingleObjectSerializer implements Serializer<T> {
        @Override
        public byte[] serialize(final String topic, final T data) {
            if (data == null) {
                return null;
            }
            try {
                final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                encoder.encode(data, out);
                return out.toByteArray();
            } catch (IOException | RuntimeException e) {
                throw new SerializationException(
                        "Cannot serialize " + typeName() + " for topic " + topic + ": " + e.getMessage(), e);
            }
        }
    }

    private final class SingleObjectDeserializer implements Deserializer<T> {
        @Override
        public T deserialize(final String topic, final byte[] data) {
            if (data == null) {
                return null;
            }
            final long seen = fingerprintOf(data);
            final DatumReader<T> reader = readers.get(seen);
            if (reader == null) {
                throw new SerializationException("Cannot deserialize "
                        + typeName()
                        + " from topic "
                        + topic
                        + ": unknown writer schema fingerprint "
                        + hex(seen)
                        + "; known fingerprints "
                        + knownFingerprints.stream()
                                .map(AvroSingleObjectSerde::hex)
                                .toList()
                        + ". Register the writer's schema as a previous schema of the serde.");
            }
            try {
                // The array-backed decoder checks every string and bytes length against the bytes left
                // before allocating; the stream decoder of BinaryMessageDecoder allocates first.
                final BinaryDecoder in =
                        DecoderFactory.get().binaryDecoder(data, HEADER_LENGTH, data.length - HEADER_LENGTH, null);
                return reader.read(null, in);
            } catch (SecurityException e) {
                // A class-trust problem is a configuration bug, not bad data: do not dress it up as one.
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new SerializationException(
                        "Cannot deserialize "
                                + typeName()
                                + " from topic "
                                + topic
                                + ": truncated or malformed data ("
                                + data.length
                                + " bytes, writer schema fingerprint "
                                + hex(seen)
                                + "): "
                                + e,
                        e);
            }
        }
    }
}
