package dev.scissor.compressor.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An array read from NumPy's {@code .npy} format: dtype, shape and little-endian data.
 *
 * @param dtype the element type
 * @param shape the shape ({@code []} for a scalar)
 * @param data the raw data, little-endian, C order
 */
public record NpyArray(Dtype dtype, int[] shape, ByteBuffer data) {

    /** Element types this project reads and writes. */
    public enum Dtype {
        FLOAT16("<f2", 2),
        FLOAT32("<f4", 4),
        FLOAT64("<f8", 8),
        INT8("|i1", 1),
        INT32("<i4", 4),
        INT64("<i8", 8);

        private final String descr;
        private final int size;

        Dtype(final String descr, final int size) {
            this.descr = descr;
            this.size = size;
        }

        /** NumPy's descr string, e.g. {@code <f4}. */
        public String descr() {
            return descr;
        }

        /** Bytes per element. */
        public int size() {
            return size;
        }

        /** The dtype of a descr string, or {@code null}. */
        static Dtype of(final String descr) {
            for (final Dtype t : values()) {
                if (t.descr.equals(descr) || (t.size == 1 && descr.equals("<" + t.descr.substring(1)))) {
                    return t;
                }
            }
            return null;
        }
    }

    /** Number of elements (1 for a scalar). */
    public long count() {
        long c = 1;
        for (final int s : shape) {
            c *= s;
        }
        return c;
    }

    /** The values as float32 (converting from any numeric dtype). */
    public float[] toFloats() {
        final ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        final float[] out = new float[Math.toIntExact(count())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case FLOAT16 -> halfToFloat(b.getShort(i * 2));
                case FLOAT32 -> b.getFloat(i * 4);
                case FLOAT64 -> (float) b.getDouble(i * 8);
                case INT8 -> b.get(i);
                case INT32 -> b.getInt(i * 4);
                case INT64 -> b.getLong(i * 8);
            };
        }
        return out;
    }

    /** The values as float64. */
    public double[] toDoubles() {
        final ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        final double[] out = new double[Math.toIntExact(count())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case FLOAT16 -> halfToFloat(b.getShort(i * 2));
                case FLOAT32 -> b.getFloat(i * 4);
                case FLOAT64 -> b.getDouble(i * 8);
                case INT8 -> b.get(i);
                case INT32 -> b.getInt(i * 4);
                case INT64 -> b.getLong(i * 8);
            };
        }
        return out;
    }

    /** The values as int64 (integer dtypes only). */
    public long[] toLongs() {
        final ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        final long[] out = new long[Math.toIntExact(count())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case INT8 -> b.get(i);
                case INT32 -> b.getInt(i * 4);
                case INT64 -> b.getLong(i * 8);
                default -> throw new IllegalStateException("not an integer array: " + dtype.descr());
            };
        }
        return out;
    }

    /** The values as int32 (integer dtypes only, range-checked). */
    public int[] toInts() {
        final long[] l = toLongs();
        final int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }

    /** The single value of a scalar (or one-element) array, as double. */
    public double scalar() {
        if (count() != 1) {
            throw new IllegalStateException("not a scalar: shape " + Arrays.toString(shape));
        }
        return toDoubles()[0];
    }

    /**
     * The float32 value of an IEEE 754 binary16 (NumPy {@code <f2}); every half value, subnormals,
     * infinities and NaN included, is exactly representable.
     *
     * @param h the 16 bits
     * @return the value
     */
    public static float halfToFloat(final short h) {
        final int bits = h & 0xFFFF;
        final int sign = (bits & 0x8000) << 16;
        final int exp = (bits >>> 10) & 0x1F;
        final int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            final float v = mant * 0x1.0p-24f; // subnormal (or zero): mant * 2^-24, exact
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
