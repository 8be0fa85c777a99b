/**
 * Running an encoder: {@link dev.scissor.encoder.onnx.ImagePreprocessor} (packed BGR/RGB bytes to
 * normalised NCHW floats, no model involved) and {@link dev.scissor.encoder.onnx.OnnxVisionEncoder}
 * (an ONNX Runtime session that turns a batch of frames into row-major patch tokens, on CUDA when
 * available and on CPU otherwise).
 */
package dev.scissor.encoder.onnx;
