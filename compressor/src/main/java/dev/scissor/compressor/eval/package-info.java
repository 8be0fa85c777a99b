/**
 * Model-free evaluation of token compressors at a matched token count (PEERS.md §3, §6).
 *
 * <p>A {@link dev.scissor.compressor.eval.Method} reduces one window of T x N tokens of width D to
 * about K tokens; {@link dev.scissor.compressor.eval.Methods} names the implementations (LLaVA-Scissor
 * in threshold and budget mode, pooling, random, L2-norm top-k, ToMe, DyCoke TTM, TimeChat-Online DTD,
 * a token-only FastVID); {@link dev.scissor.compressor.eval.Distortion} scores what a method kept
 * against every original token; {@link dev.scissor.compressor.eval.Evaluation} runs the battery over
 * windows and retentions into a rate-distortion table.
 *
 * <p>Pure Java: nothing here imports Kafka, ONNX Runtime or JavaCV.
 */
package dev.scissor.compressor.eval;
