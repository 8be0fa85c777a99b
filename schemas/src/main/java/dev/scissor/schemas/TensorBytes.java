package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Converts token tensors between {@code float[]} and the little-endian byte layout of the Avro
 * {@code bytes} fields ({@link FrameTokens#getTensor()}, {@link CompressedWindow#getTokens()}).
 *
 * <p>A tensor of shape {@code [rows, cols]} is stored row-major: element {@code (r, c)} is at byte
 * offset {@code (r * cols + c) * elementSize}. Every read checks that the buffer holds exactly
 * the expected number of bytes, and sizes are checked for {@code int} overflow before anything is
 * allocated, so a corrupt header cannot trigger a huge allocation.
 *
 * <p>Reads never move the position of the buffer they are given: the generated Avro getters
 * return the record's own buffer, and consuming it would make the record look empty to the next
 * reader or to the serializer.
 */
public final class TensorBytes {

  /** Bytes per float32 element. */
  public static final int FLOAT32_BYTES = Float.BYTES;

  /** Bytes per float16 (IEEE 754 half precision) element. */
  public static final int FLOAT16_BYTES = 2;

  private TensorBytes() {}

  /**
   * Returns the size in bytes of one element of a dtype.
   *
   * @param dtype the element type
   * @return 4 for {@code FLOAT32}, 2 for {@code FLOAT16}
   */
  public static int elementSize(final TokenDtype dtype) {
    return switch (Objects.requireNonNull(dtype, "dtype")) {
      case FLOAT32 -> FLOAT32_BYTES;
      case FLOAT16 -> FLOAT16_BYTES;
    };
  }

  /**
   * Returns {@code rows * cols * elementSize}, the byte length of a tensor.
   *
   * @param rows number of rows, at least 0
   * @param cols number of columns, at least 0
   * @param elementSize bytes per element, at least 1
   * @return the byte length
   * @throws IllegalArgumentException if an argument is out of range or the length does not fit in
   *     an {@code int}
   */
  public static int byteLength(final int rows, final int cols, final int elementSize) {
    if (rows < 0 || cols < 0 || elementSize < 1) {
      throw new IllegalArgumentException(
          "Invalid tensor shape ["
              + rows
              + ", "
              + cols
              + "] with element size "
              + elementSize
              + ": dimensions must be >= 0 and the element size >= 1");
    }
    final long elements = (long) rows * cols;
    if (elements > Integer.MAX_VALUE / elementSize) {
      throw new IllegalArgumentException(
          "Tensor ["
              + rows
              + ", "
              + cols
              + "] with element size "
              + elementSize
              + " needs "
              + elements * elementSize
              + " bytes, more than a Java array can hold");
    }
    return (int) elements * elementSize;
  }

  /**
   * Encodes a whole array as little-endian float32 bytes.
   *
   * @param data the values
   * @return a new heap buffer, position 0, limit {@code data.length * 4}, little-endian order
   * @throws IllegalArgumentException if the byte length does not fit in an {@code int}
   */
  public static ByteBuffer toLittleEndian(final float[] data) {
    return toLittleEndian(data, 0, Objects.requireNonNull(data, "data").length);
  }

  /**
   * Encodes {@code data[off .. off+len)} as little-endian float32 bytes.
   *
   * @param data the values
   * @param off index of the first value to encode
   * @param len number of values to encode
   * @return a new heap buffer, position 0, limit {@code len * 4}, little-endian order
   * @throws IndexOutOfBoundsException if {@code off}/{@code len} do not lie within {@code data}
   * @throws IllegalArgumentException if the byte length does not fit in an {@code int}
   */
  public static ByteBuffer toLittleEndian(final float[] data, final int off, final int len) {
    Objects.requireNonNull(data, "data");
    Objects.checkFromIndexSize(off, len, data.length);
    final ByteBuffer out =
        ByteBuffer.allocate(byteLength(len, 1, FLOAT32_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    out.asFloatBuffer().put(data, off, len);
    return out;
  }

  /**
   * Decodes exactly {@code count} little-endian float32 values.
   *
   * @param bytes the buffer; its remaining bytes must be exactly {@code count * 4}. Its position,
   *     limit and byte order are left unchanged
   * @param count number of values
   * @return the values
   * @throws IllegalArgumentException if the remaining length is not {@code count * 4}
   */
  public static float[] readFloats(final ByteBuffer bytes, final int count) {
    checkLength(bytes, count, 1, FLOAT32_BYTES);
    final float[] out = new float[count];
    bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /**
   * Decodes exactly {@code count} little-endian IEEE 754 half-precision values to float.
   *
   * @param bytes the buffer; its remaining bytes must be exactly {@code count * 2}. Its position,
   *     limit and byte order are left unchanged
   * @param count number of values
   * @return the values, widened to float (exactly: every half value is a float value)
   * @throws IllegalArgumentException if the remaining length is not {@code count * 2}
   */
  public static float[] readFloat16s(final ByteBuffer bytes, final int count) {
    checkLength(bytes, count, 1, FLOAT16_BYTES);
    final ByteBuffer in = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    final float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = float16ToFloat(in.getShort());
    }
    return out;
  }

  /**
   * Widens one IEEE 754 half-precision value (binary16) to float, including subnormals, signed
   * zeros, infinities and NaN. (Same result as {@code Float.float16ToFloat} of Java 20.)
   *
   * @param half the 16 bits of the value
   * @return the same value as a float
   */
  public static float float16ToFloat(final short half) {
    final int bits = half & 0xFFFF;
    final int sign = (bits & 0x8000) << 16;
    final int exponent = (bits >>> 10) & 0x1F;
    final int mantissa = bits & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
    }
    if (exponent == 0) {
      final float magnitude = mantissa * 0x1p-24f; // zero or subnormal: mantissa * 2^-24, exact
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
  }

  /**
   * Decodes a row-major {@code [rows, cols]} tensor of the given dtype.
   *
   * @param bytes the buffer; its remaining bytes must be exactly {@code rows * cols *
   *     elementSize(dtype)}. Its position, limit and byte order are left unchanged
   * @param rows number of rows
   * @param cols number of columns
   * @param dtype element type
   * @return the {@code rows * cols} values, row-major
   * @throws IllegalArgumentException if the shape is invalid or does not match the byte length
   */
  public static float[] decode(
      final ByteBuffer bytes, final int rows, final int cols, final TokenDtype dtype) {
    final int elementSize = elementSize(dtype);
    checkLength(bytes, rows, cols, elementSize);
    final int count = rows * cols; // cannot overflow: checkLength bounded rows*cols*elementSize
    return dtype == TokenDtype.FLOAT16 ? readFloat16s(bytes, count) : readFloats(bytes, count);
  }

  /**
   * Decodes the tensor of a frame: {@code [gridHeight * gridWidth, tokenDim]}.
   *
   * @param frame the frame tokens
   * @return the {@code gridHeight * gridWidth * tokenDim} values, row-major
   * @throws IllegalArgumentException if the grid and dim do not match the tensor length
   */
  public static float[] decode(final FrameTokens frame) {
    Objects.requireNonNull(frame, "frame");
    final int gridH = frame.getGridHeight();
    final int gridW = frame.getGridWidth();
    if (gridH < 0 || gridW < 0 || (long) gridH * gridW > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "Invalid token grid " + gridH + "x" + gridW + " in frame " + frame.getSequence());
    }
    return decode(frame.getTensor(), gridH * gridW, frame.getTokenDim(), frame.getDtype());
  }

  /**
   * Decodes the output tokens of a window: {@code [tokenCount, tokenDim]} float32.
   *
   * @param window the compressed window
   * @return the {@code tokenCount * tokenDim} values, row-major
   * @throws IllegalArgumentException if tokenCount and tokenDim do not match the byte length
   */
  public static float[] decode(final CompressedWindow window) {
    Objects.requireNonNull(window, "window");
    return decode(
        window.getTokens(), window.getTokenCount(), window.getTokenDim(), TokenDtype.FLOAT32);
  }

  private static void checkLength(
      final ByteBuffer bytes, final int rows, final int cols, final int elementSize) {
    Objects.requireNonNull(bytes, "bytes");
    final int expected = byteLength(rows, cols, elementSize);
    if (bytes.remaining() != expected) {
      throw new IllegalArgumentException(
          "Tensor byte length mismatch: shape ["
              + rows
              + ", "
              + cols
              + "] with "
              + elementSize
              + "-byte elements needs exactly "
              + expected
              + " bytes, but the buffer has "
              + bytes.remaining());
    }
  }
}
