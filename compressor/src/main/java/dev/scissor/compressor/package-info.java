/**
 * LLaVA-Scissor token compression, pure Java: {@link dev.scissor.compressor.Scissor} (batch), {@link dev.scissor.compressor.SlidingWindow} (incremental windows over a stream) and their parameters and results. No Kafka, ONNX Runtime or JavaCV.
 */
package dev.scissor.compressor;
