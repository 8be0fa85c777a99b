/**
 * The Kafka stages around the vision encoder.
 *
 * <ul>
 *   <li>{@link dev.scissor.pipeline.CaptureStage}: cameras, RTSP, files and lavfi sources, each on
 *       its own thread, to the {@code frames} topic (JPEG {@code VideoFrame}s keyed by stream id,
 *       idempotent producer); configured by {@link dev.scissor.pipeline.CaptureConfig};
 *   <li>{@link dev.scissor.pipeline.EncoderStage}: {@code frames} to {@code tokens} ({@code
 *       FrameTokens}), batched across streams, exactly once, bad frames to {@code dlq}; configured
 *       by {@link dev.scissor.pipeline.EncoderConfig}.
 * </ul>
 *
 * <p>The capture and model code itself lives in the Kafka-free {@code scissor-encoder} module
 * ({@code dev.scissor.encoder.capture}, {@code dev.scissor.encoder.media}, {@code
 * dev.scissor.encoder.onnx}).
 */
package dev.scissor.pipeline;
