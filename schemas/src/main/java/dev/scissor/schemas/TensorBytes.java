package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
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
            throw new IllegalArgumentException("Invalid tensor shape ["
                    + rows
                    + ", "
                    + cols
                    + "] with element size "
                    + elementSize
                    + ": dimensions must be >= 0 and the element size >= 1");
        }
        final long elements = (long) rows * cols;
        if (elements > Integer.MAX_VALUE / elementSize) {
            throw new IllegalArgumentException("Tensor ["
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
     * Encodes {@code data[off .. off+len)} as little-endian elements of a dtype: float32 as is,
     * float16 rounded to nearest even ({@link #floatToFloat16(float)}).
     *
     * @param data the values
     * @param off index of the first value to encode
     * @param len number of values to encode
     * @param dtype the element type to write
     * @return a new heap buffer, position 0, limit {@code len * elementSize(dtype)}, little-endian
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} do not lie within {@code data}
     * @throws IllegalArgumentException if the byte length does not fit in an {@code int}
     */
    public static ByteBuffer encode(final float[] data, final int off, final int len, final TokenDtype dtype) {
        if (Objects.requireNonNull(dtype, "dtype") == TokenDtype.FLOAT32) {
            return toLittleEndian(data, off, len);
        }
        Objects.requireNonNull(data, "data");
        Objects.checkFromIndexSize(off, len, data.length);
        final ByteBuffer out =
                ByteBuffer.allocate(byteLength(len, 1, FLOAT16_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        final short[] halves = new short[len];
        for (int i = 0; i < len; i++) {
            halves[i] = floatToFloat16(data[off + i]);
        }
        out.asShortBuffer().put(halves);
        return out;
    }

    /**
     * Encodes a whole array as little-endian elements of a dtype ({@link #encode(float[], int, int,
     * TokenDtype)}).
     *
     * @param data the values
     * @param dtype the element type to write
     * @return a new heap buffer, position 0, little-endian order
     */
    public static ByteBuffer encode(final float[] data, final TokenDtype dtype) {
        return encode(data, 0, Objects.requireNonNull(data, "data").length, dtype);
    }

    /**
     * Narrows a float to the nearest IEEE 754 half-precision value (binary16), ties to even (the
     * rounding of {@code Float.floatToFloat16} of Java 20, which release 17 lacks): magnitudes from
     * 65520 up become infinity, those of at most 2<sup>-25</sup> a signed zero, those below
     * 2<sup>-14</sup> a subnormal (a multiple of 2<sup>-24</sup>). Infinities and signed zeros are
     * kept; a NaN stays a quiet NaN with its sign and the top 9 bits of its payload.
     *
     * @param value the value
     * @return the 16 bits of the nearest half value
     */
    public static short floatToFloat16(final float value) {
        final int bits = Float.floatToRawIntBits(value);
        final int sign = (bits >>> 16) & 0x8000;
        final int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x7F80_0000) {
            return (short) (abs == 0x7F80_0000 ? sign | 0x7C00 : sign | 0x7E00 | (abs >>> 13) & 0x3FF);
        }
        if (abs >= 0x477F_F000) { // 65520 = 65504 + half an ulp: the tie goes to the even 2^16 = inf
            return (short) (sign | 0x7C00);
        }
        if (abs >= 0x3880_0000) { // at least 2^-14: a normal half; rebias the exponent by 127 - 15
            final int rounded = abs + 0x0FFF + ((abs >>> 13) & 1);
            return (short) (sign | (rounded - 0x3800_0000) >>> 13);
        }
        if (abs <= 0x3300_0000) { // at most 2^-25, half the smallest subnormal: the tie goes to 0
            return (short) sign;
        }
        // Subnormal half: count units of 2^-24 in the 24-bit significand, rounding to nearest even.
        final int significand = (abs & 0x007F_FFFF) | 0x0080_0000;
        final int shift = 126 - (abs >>> 23);
        final int units = significand >>> shift;
        final int rest = significand & ((1 << shift) - 1);
        final int half = 1 << (shift - 1);
        return (short) (sign | units + (rest > half || rest == half && (units & 1) != 0 ? 1 : 0));
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
        final ShortBuffer in = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        final short[] halves = new short[count];
        in.get(halves);
        final float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = float16ToFloat(halves[i]);
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
    public static float[] decode(final ByteBuffer bytes, final int rows, final int cols, final TokenDtype dtype) {
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
     * Decodes the output tokens of a window: {@code [tokenCount, tokenDim]} of its dtype.
     *
     * @param window the compressed window
     * @return the {@code tokenCount * tokenDim} values, row-major
     * @throws IllegalArgumentException if tokenCount and tokenDim do not match the byte length
     */
    public static float[] decode(final CompressedWindow window) {
        Objects.requireNonNull(window, "window");
        return decode(window.getTokens(), window.getTokenCount(), window.getTokenDim(), window.getDtype());
    }

    private static void checkLength(final ByteBuffer bytes, final int rows, final int cols, final int elementSize) {
        Objects.requireNonNull(bytes, "bytes");
        final int expected = byteLength(rows, cols, elementSize);
        if (bytes.remaining() != expected) {
            throw new IllegalArgumentException("Tensor byte length mismatch: shape ["
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
