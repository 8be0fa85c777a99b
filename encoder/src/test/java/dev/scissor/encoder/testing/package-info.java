/** Test helpers: optional asset lookup (darknet photos, reference models, npm) and tiny ONNX models. */
package dev.scissor.encoder.testing;
