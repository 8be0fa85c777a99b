/**
 * The encoder side of Scissor: video frames in, patch tokens out.
 *
 * <ul>
 *   <li>{@link dev.scissor.encoder.model}: encoder descriptors, and the store that obtains the
 *       pretrained models from npm, converts them and caches them;
 *   <li>{@link dev.scissor.encoder.tfjs}: the TFJS graph-model reader and the TFJS → ONNX
 *       converter;
 *   <li>{@link dev.scissor.encoder.onnx}: frame preprocessing and the ONNX Runtime encoder.
 * </ul>
 */
package dev.scissor.encoder;
