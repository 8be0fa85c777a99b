/**
 * A typed consumer API for the {@code windows} topic, for teams that embed Scissor in their own
 * LLM service.
 *
 * <ul>
 *   <li>{@link dev.scissor.consumer.Window}: a validated, immutable view of one {@code
 *       CompressedWindow}, with the tokens as a zero-copy little-endian {@code FloatBuffer};
 *   <li>{@link dev.scissor.consumer.WindowConsumer}: reads windows ({@code read_committed}) as a
 *       group member or from every partition, and reports malformed records to a callback instead of
 *       failing.
 * </ul>
 * The QA service ({@code dev.scissor.serve}) is built on both.
 */
package dev.scissor.consumer;
