/**
 * Video capture with JavaCV/FFmpeg, free of any transport.
 *
 * <ul>
 *   <li>{@link dev.scissor.encoder.capture.SourceSpec}: parses a source (RTSP pull, RTSP listen,
 *       other network streams, V4L2 camera, video file, lavfi test source);
 *   <li>{@link dev.scissor.encoder.capture.FfmpegFrameSource}: one connection, sampled to a target
 *       rate by {@link dev.scissor.encoder.capture.RateSampler}, resized while decoding, frames
 *       copied out of the grabber's buffers;
 *   <li>{@link dev.scissor.encoder.capture.ReconnectingFrameSource}: live sources that reconnect
 *       with {@link dev.scissor.encoder.capture.Backoff};
 *   <li>{@link dev.scissor.encoder.capture.SequenceNumbers}: frame numbers that keep increasing
 *       across reconnects and process restarts;
 *   <li>{@link dev.scissor.encoder.capture.FrameCapture}: the loop that numbers, compresses and
 *       hands frames to a sink (the Kafka stage lives in the streams module).
 * </ul>
 */
package dev.scissor.encoder.capture;
