/**
 * Wire formats of the Scissor pipeline.
 *
 * <p>The records themselves are generated from {@code src/main/avro/*.avsc} into {@code
 * dev.scissor.schemas.avro}: {@code VideoFrame} (frames topic), {@code FrameTokens} (tokens topic)
 * and {@code CompressedWindow} (windows topic). This package adds what the rest of the project
 * needs around them:
 *
 * <ul>
 *   <li>{@link dev.scissor.schemas.AvroSingleObjectSerde} and {@link
 *       dev.scissor.schemas.ScissorSerdes}: Kafka serdes using Avro single-object encoding (a
 *       header with the writer schema's 64-bit fingerprint), so no schema registry is needed;
 *       older writer schemas are registered in code.
 *   <li>{@link dev.scissor.schemas.AvroTrust}: makes Avro 1.12 trust the generated classes.
 *   <li>{@link dev.scissor.schemas.Topic} and {@link dev.scissor.schemas.Topics}: immutable topic
 *       descriptors (name plus serdes) and the default topic names.
 *   <li>{@link dev.scissor.schemas.TensorBytes}: token tensors to and from little-endian bytes.
 * </ul>
 *
 * <p>Schema evolution rule: a field added to a schema must have a default, and the previous
 * version of each schema is kept under {@code src/test/resources/avro/previous/} and checked by
 * {@code SchemaEvolutionTest}. This module depends on nothing in-house and not on Kafka Streams.
 */
package dev.scissor.schemas;
