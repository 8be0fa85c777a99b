package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Default names and {@link Topic} descriptors of the pipeline's topics.
 *
 * <p>The pipeline is {@code frames} (captured {@link VideoFrame}s) → encoder → {@code tokens}
 * ({@link FrameTokens}) → Scissor processor → {@code windows} ({@link CompressedWindow}s). Records
 * that cannot be processed go to {@code dlq} unchanged. All record keys are the stream id as a
 * UTF-8 string, so every record of a stream lands in the same partition and stays in order.
 *
 * <p>Each factory returns a new descriptor with new serdes; the no-argument forms use the default
 * names, the others take the name from configuration.
 */
public final class Topics {

    /** Default name of the topic of captured frames. */
    public static final String FRAMES = "frames";

    /** Default name of the topic of per-frame visual tokens. */
    public static final String TOKENS = "tokens";

    /** Default name of the topic of compressed windows. */
    public static final String WINDOWS = "windows";

    /** Default name of the dead-letter topic. */
    public static final String DLQ = "dlq";

    private Topics() {}

    /**
     * Returns the frames topic under its default name {@value #FRAMES}.
     *
     * @return a descriptor with String keys and {@link VideoFrame} values
     */
    public static Topic<String, VideoFrame> frames() {
        return frames(FRAMES);
    }

    /**
     * Returns the frames topic under a configured name.
     *
     * @param name the topic name
     * @return a descriptor with String keys and {@link VideoFrame} values
     */
    public static Topic<String, VideoFrame> frames(final String name) {
        return new Topic<>(name, Serdes.String(), ScissorSerdes.videoFrame());
    }

    /**
     * Returns the tokens topic under its default name {@value #TOKENS}.
     *
     * @return a descriptor with String keys and {@link FrameTokens} values
     */
    public static Topic<String, FrameTokens> tokens() {
        return tokens(TOKENS);
    }

    /**
     * Returns the tokens topic under a configured name.
     *
     * @param name the topic name
     * @return a descriptor with String keys and {@link FrameTokens} values
     */
    public static Topic<String, FrameTokens> tokens(final String name) {
        return new Topic<>(name, Serdes.String(), ScissorSerdes.frameTokens());
    }

    /**
     * Returns the windows topic under its default name {@value #WINDOWS}.
     *
     * @return a descriptor with String keys and {@link CompressedWindow} values
     */
    public static Topic<String, CompressedWindow> windows() {
        return windows(WINDOWS);
    }

    /**
     * Returns the windows topic under a configured name.
     *
     * @param name the topic name
     * @return a descriptor with String keys and {@link CompressedWindow} values
     */
    public static Topic<String, CompressedWindow> windows(final String name) {
        return new Topic<>(name, Serdes.String(), ScissorSerdes.compressedWindow());
    }

    /**
     * Returns the dead-letter topic under its default name {@value #DLQ}.
     *
     * @return a descriptor with raw byte keys and values
     * @see #dlq(String)
     */
    public static Topic<byte[], byte[]> dlq() {
        return dlq(DLQ);
    }

    /**
     * Returns the dead-letter topic under a configured name.
     *
     * <p>Keys and values are raw bytes: a dead letter keeps the failed record's key and value
     * exactly as they arrived (the key is still the UTF-8 stream id), so it can be inspected or
     * replayed even when it could not be deserialized. The cause travels in record headers.
     *
     * @param name the topic name
     * @return a descriptor with raw byte keys and values
     */
    public static Topic<byte[], byte[]> dlq(final String name) {
        return new Topic<>(name, Serdes.ByteArray(), Serdes.ByteArray());
    }
}
