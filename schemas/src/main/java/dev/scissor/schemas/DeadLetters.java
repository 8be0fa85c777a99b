package dev.scissor.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The dead-letter contract of every stage: a record a stage cannot use is written to the dead-letter
 * topic with its key, value, timestamp and headers unchanged, plus these headers (UTF-8 text):
 *
 * <ul>
 *   <li>{@value #REASON}: a {@link Reason} name, for routing and metrics;
 *   <li>{@value #DETAIL}: a sentence saying what was wrong and what to do;
 *   <li>{@value #STAGE}: the stage that rejected it ({@code encoder}, {@code compressor});
 *   <li>{@value #SOURCE_TOPIC}, {@value #SOURCE_PARTITION}, {@value #SOURCE_OFFSET}: where it was read.
 * </ul>
 */
public final class DeadLetters {

    /** Header: the {@link Reason}. */
    public static final String REASON = "scissor.dlq.reason";
    /** Header: the human-readable detail. */
    public static final String DETAIL = "scissor.dlq.detail";
    /** Header: the stage that rejected the record. */
    public static final String STAGE = "scissor.dlq.stage";
    /** Header: topic the record was read from. */
    public static final String SOURCE_TOPIC = "scissor.dlq.source.topic";
    /** Header: partition it was read from. */
    public static final String SOURCE_PARTITION = "scissor.dlq.source.partition";
    /** Header: its offset. */
    public static final String SOURCE_OFFSET = "scissor.dlq.source.offset";

    /** Why a record was rejected. */
    public enum Reason {
        /** Not Avro single-object data, truncated or malformed, or a null value. */
        UNDECODABLE,
        /** Avro single-object data written with a schema this version does not know. */
        UNKNOWN_SCHEMA,
        /** No key, or a key that is not the record's stream id. */
        KEY_MISMATCH,
        /** A grid or dimension below 1, or a tensor whose length does not match its shape. */
        INVALID_SHAPE,
        /** More tokens per frame or a larger dimension than the configured maximum. */
        TOO_MANY_TOKENS,
        /** A grid or dimension different from the stream's earlier frames. */
        DIMENSION_MISMATCH,
        /** Tokens from another encoder model than the stream's earlier frames. */
        MODEL_MISMATCH,
        /** Tokens of another element type (float32, float16) than the stream's earlier frames. */
        DTYPE_MISMATCH,
        /** A NaN or infinite token value. */
        NON_FINITE,
        /** A sequence number already in the window or the reorder buffer. */
        DUPLICATE,
        /** A sequence number behind a frame already compressed, beyond the grace. */
        LATE,
        /** The compressor failed on a valid-looking record (a bug: report it with the record). */
        PROCESSING_ERROR,
        /** Encoder: the image bytes are not a valid image of the declared format (truncated, garbage). */
        CORRUPT_IMAGE,
        /** Encoder: the image has more bytes or pixels than the configured limits, checked before decoding. */
        IMAGE_TOO_LARGE
    }

    /** Stage name of the compressor. */
    public static final String COMPRESSOR_STAGE = "compressor";

    /**
     * Where a rejected record was read.
     *
     * @param topic the topic
     * @param partition the partition
     * @param offset the offset
     */
    public record Source(String topic, int partition, long offset) {}

    private DeadLetters() {}

    /**
     * Returns the headers of a dead letter: the original ones plus the dead-letter headers.
     *
     * @param original the record's headers
     * @param reason why it was rejected
     * @param detail what was wrong and what to do
     * @param stage the rejecting stage
     * @param source where it was read, or {@code null} when not known
     * @return new headers
     */
    public static Headers headers(
            final Headers original, final Reason reason, final String detail, final String stage, final Source source) {
        final RecordHeaders h = new RecordHeaders();
        if (original != null) {
            for (final Header header : original) {
                h.add(header);
            }
        }
        h.add(REASON, utf8(reason.name()));
        h.add(DETAIL, utf8(detail));
        h.add(STAGE, utf8(stage));
        if (source != null) {
            h.add(SOURCE_TOPIC, utf8(source.topic()));
            h.add(SOURCE_PARTITION, utf8(Integer.toString(source.partition())));
            h.add(SOURCE_OFFSET, utf8(Long.toString(source.offset())));
        }
        return h;
    }

    /**
     * Reads a dead-letter header as text.
     *
     * @param headers the record's headers
     * @param name the header
     * @return its last value, or {@code null}
     */
    public static String header(final Headers headers, final String name) {
        final Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
