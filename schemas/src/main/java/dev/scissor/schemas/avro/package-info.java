/**
 * Avro record classes generated at build time from {@code schemas/src/main/avro/*.avsc}; do not
 * edit them, edit the schemas.
 *
 * <ul>
 *   <li>{@code VideoFrame}: one captured frame (frames topic).
 *   <li>{@code FrameTokens} with {@code TokenDtype}: the visual tokens of one frame (tokens topic).
 *   <li>{@code CompressedWindow} with {@code CompressionParams}, {@code WindowStats} and {@code
 *       EmitReason}: the compressed tokens of a window of frames (windows topic).
 * </ul>
 *
 * <p>Avro 1.12 only decodes into these classes once {@link
 * dev.scissor.schemas.AvroTrust#trustGeneratedClasses()} has run; the project's serdes call it.
 */
package dev.scissor.schemas.avro;
