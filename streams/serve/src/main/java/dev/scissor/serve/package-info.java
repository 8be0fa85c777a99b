/**
 * The QA service ({@code scissor serve}): the LLM-consumer side of the {@code windows} topic.
 *
 * <ul>
 *   <li>{@link dev.scissor.serve.QaService}: indexes every stream's recent windows and serves
 *       {@code /v1/ask} (an LLM request with the windows' tokens as {@code image_embeds}), {@code
 *       /v1/find} (query by example), {@code /v1/streams}, the compressor proxy and {@code /metrics};
 *   <li>{@link dev.scissor.serve.ServeConfig}: its settings ({@code scissor.serve.*});
 *   <li>{@link dev.scissor.serve.LlmRequests} and {@link dev.scissor.serve.TorchTensors}: the wire
 *       format of the LLM request (see {@code streams/LLM-WIRE-FORMAT.md});
 *   <li>{@link dev.scissor.serve.QueryEncoder} and {@link dev.scissor.serve.FindScorer}: query by
 *       example.
 * </ul>
 */
package dev.scissor.serve;
