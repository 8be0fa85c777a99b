package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import org.apache.avro.Schema;

/**
 * Factory of the value serdes of the pipeline's records, in the style of Kafka's {@code Serdes}.
 *
 * <p>Every serde is an {@link AvroSingleObjectSerde}: single-object encoding, no schema registry.
 * Each call returns a new, thread-safe instance. The overloads taking schemas register older
 * writer schemas, so that records written by producers still on an older version stay readable.
 */
public final class ScissorSerdes {

  private ScissorSerdes() {}

  /**
   * Returns a serde for {@link VideoFrame}.
   *
   * @param previousWriterSchemas older VideoFrame schemas to accept when reading
   * @return a new serde
   */
  public static AvroSingleObjectSerde<VideoFrame> videoFrame(
      final Schema... previousWriterSchemas) {
    return new AvroSingleObjectSerde<>(VideoFrame.class, previousWriterSchemas);
  }

  /**
   * Returns a serde for {@link FrameTokens}.
   *
   * @param previousWriterSchemas older FrameTokens schemas to accept when reading
   * @return a new serde
   */
  public static AvroSingleObjectSerde<FrameTokens> frameTokens(
      final Schema... previousWriterSchemas) {
    return new AvroSingleObjectSerde<>(FrameTokens.class, previousWriterSchemas);
  }

  /**
   * Returns a serde for {@link CompressedWindow}.
   *
   * @param previousWriterSchemas older CompressedWindow schemas to accept when reading
   * @return a new serde
   */
  public static AvroSingleObjectSerde<CompressedWindow> compressedWindow(
      final Schema... previousWriterSchemas) {
    return new AvroSingleObjectSerde<>(CompressedWindow.class, previousWriterSchemas);
  }
}
