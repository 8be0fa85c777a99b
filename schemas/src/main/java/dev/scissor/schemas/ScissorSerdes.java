package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Factory of the value serdes of the pipeline's records, in the style of Kafka's {@code Serdes}.
 *
 * <p>Every serde is an {@link AvroSingleObjectSerde}: single-object encoding, no schema registry.
 * Each call returns a new, thread-safe instance. The overloads taking schemas register older
 * writer schemas, so that records written by producers still on an older version stay readable.
 */
public final class ScissorSerdes {

    private static final String RELEASED = "/dev/scissor/schemas/released/";

    private static final List<Schema> RELEASED_COMPRESSED_WINDOW = List.of(released("CompressedWindow-v2.avsc"));

    private ScissorSerdes() {}

    /**
     * Returns the released CompressedWindow schemas that every CompressedWindow serde reads: v2
     * (windows without {@code dtype}, always float32).
     *
     * @return an unmodifiable list, oldest first
     */
    public static List<Schema> releasedCompressedWindowSchemas() {
        return RELEASED_COMPRESSED_WINDOW;
    }

    /**
     * Returns a serde for {@link VideoFrame}.
     *
     * @param previousWriterSchemas older VideoFrame schemas to accept when reading
     * @return a new serde
     */
    public static AvroSingleObjectSerde<VideoFrame> videoFrame(final Schema... previousWriterSchemas) {
        return new AvroSingleObjectSerde<>(VideoFrame.class, previousWriterSchemas);
    }

    /**
     * Returns a serde for {@link FrameTokens}.
     *
     * @param previousWriterSchemas older FrameTokens schemas to accept when reading
     * @return a new serde
     */
    public static AvroSingleObjectSerde<FrameTokens> frameTokens(final Schema... previousWriterSchemas) {
        return new AvroSingleObjectSerde<>(FrameTokens.class, previousWriterSchemas);
    }

    /**
     * Returns a serde for {@link CompressedWindow} that reads the current schema, the {@link
     * #releasedCompressedWindowSchemas() released ones} and any given.
     *
     * @param previousWriterSchemas further older CompressedWindow schemas to accept when reading
     * @return a new serde
     */
    public static AvroSingleObjectSerde<CompressedWindow> compressedWindow(final Schema... previousWriterSchemas) {
        final List<Schema> schemas = new ArrayList<>(RELEASED_COMPRESSED_WINDOW);
        schemas.addAll(List.of(previousWriterSchemas));
        return new AvroSingleObjectSerde<>(CompressedWindow.class, schemas);
    }

    private static Schema released(final String file) {
        try (InputStream in = ScissorSerdes.class.getResourceAsStream(RELEASED + file)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RELEASED + file);
            }
            return new Schema.Parser().parse(in);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + RELEASED + file, e);
        }
    }
}
