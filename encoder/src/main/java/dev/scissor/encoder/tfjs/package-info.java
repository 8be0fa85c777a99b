/**
 * Reading TensorFlow.js graph models ({@link dev.scissor.encoder.tfjs.TfjsGraphModel}) and
 * converting them to ONNX ({@link dev.scissor.encoder.tfjs.TfjsToOnnxConverter}) with the protobuf
 * classes of {@code tribuo-util-onnx}. Covers the ops of the project's two CNN encoders
 * (ENCODERS.md §5); conversion is deterministic and matches the reference files byte for byte.
 */
package dev.scissor.encoder.tfjs;
