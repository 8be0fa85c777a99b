package dev.scissor.serve;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The bytes of one {@code image_embeds} content part: a window's tokens as a {@code [tokens, dim]}
 * tensor, in the file format and element type the LLM server is to receive.
 *
 * <p>vLLM decodes the part with {@code ImageEmbeddingMediaIO.load_bytes}
 * ({@code vllm/multimodal/media/image.py}): bytes that start with the NumPy magic go to
 * {@code np.load} (no pickle), anything else to {@code torch.load(weights_only=True)}. So
 * {@link Format#NPY} carries float32 or float16 (NumPy has no bfloat16), and {@link Format#TORCH}
 * carries any of the three. Conversions from float32 round to nearest, ties to even, as PyTorch's
 * {@code Tensor.to} does.
 */
public final class EmbeddingTensors {

    /** The container of the tensor. */
    public enum Format {
        /** A NumPy {@code .npy} file (format 1.0), read by {@code np.load}. */
        NPY,
        /** A {@code torch.save} archive, read by {@code torch.load(weights_only=True)}. */
        TORCH;

        /**
         * Parses {@code npy} or {@code torch}.
         *
         * @param name the name
         * @return the format
         */
        public static Format parse(final String name) {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        }
    }

    /** The element type on the wire. */
    public enum DType {
        /** IEEE binary32. */
        FLOAT32(4, "<f4", "FloatStorage"),
        /** IEEE binary16. */
        FLOAT16(2, "<f2", "HalfStorage"),
        /** bfloat16: the upper half of a binary32 (torch only). */
        BFLOAT16(2, null, "BFloat16Storage");

        private final int bytes;
        private final String npyDescr;
        private final String torchStorage;

        DType(final int bytes, final String npyDescr, final String torchStorage) {
            this.bytes = bytes;
            this.npyDescr = npyDescr;
            this.torchStorage = torchStorage;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }

        /**
         * Parses {@code float32}, {@code float16} or {@code bfloat16}.
         *
         * @param name the name
         * @return the type
         */
        public static DType parse(final String name) {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        }

        /** Whether a {@code .npy} file can carry it. */
        public boolean inNpy() {
            return npyDescr != null;
        }
    }

    private static final int NPY_ALIGNMENT = 64;

    private EmbeddingTensors() {}

    /**
     * Encodes a {@code [rows, cols]} float32 tensor.
     *
     * @param values the values, row-major, from the buffer's position to its limit (not moved)
     * @param rows tokens
     * @param cols dimensions
     * @param format the container
     * @param dtype the element type
     * @return the bytes
     * @throws IllegalArgumentException when the shape does not fit, or NPY is asked for bfloat16
     */
    public static byte[] encode(
            final FloatBuffer values, final int rows, final int cols, final Format format, final DType dtype) {
        if (rows < 0 || cols < 0 || (long) rows * cols != values.remaining()) {
            throw new IllegalArgumentException(
                    "shape [" + rows + ", " + cols + "] does not fit " + values.remaining() + " values");
        }
        if ((long) rows * cols * dtype.bytes > Integer.MAX_VALUE - (1 << 16)) {
            throw new IllegalArgumentException("tensor too large for one request part: [" + rows + ", " + cols + "]");
        }
        return container(storage(values, dtype), format, dtype, rows, cols);
    }

    /**
     * Encodes a {@code [rows, cols]} tensor from elements already in {@code dtype}, little-endian (for
     * example a float16 window's token bytes), without converting them.
     *
     * @param elements the elements, from the buffer's position to its limit (not moved)
     * @param rows tokens
     * @param cols dimensions
     * @param format the container
     * @param dtype the elements' type
     * @return the bytes
     * @throws IllegalArgumentException when the shape does not fit, or NPY is asked for bfloat16
     */
    public static byte[] encodeElements(
            final ByteBuffer elements, final int rows, final int cols, final Format format, final DType dtype) {
        if (rows < 0 || cols < 0 || (long) rows * cols * dtype.bytes != elements.remaining()) {
            throw new IllegalArgumentException("shape [" + rows + ", " + cols + "] of " + dtype + " does not fit "
                    + elements.remaining() + " bytes");
        }
        final ByteBuffer storage = ByteBuffer.allocate(elements.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        storage.put(elements.duplicate()).clear();
        return container(storage, format, dtype, rows, cols);
    }

    private static byte[] container(
            final ByteBuffer storage, final Format format, final DType dtype, final int rows, final int cols) {
        if (format == Format.NPY) {
            if (!dtype.inNpy()) {
                throw new IllegalArgumentException(
                        "NumPy has no " + dtype.name().toLowerCase(Locale.ROOT) + "; send it as torch");
            }
            return npy(storage, dtype, rows, cols);
        }
        return TorchTensors.save(storage, dtype.torchStorage, rows, cols);
    }

    /** The values in {@code dtype}, little-endian, in a heap buffer. */
    static ByteBuffer storage(final FloatBuffer values, final DType dtype) {
        final int n = values.remaining();
        final ByteBuffer b = ByteBuffer.allocate(n * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int p = values.position();
        switch (dtype) {
            case FLOAT32 -> b.asFloatBuffer().put(values.duplicate());
            case FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    b.putShort(2 * i, toHalf(values.get(p + i)));
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    b.putShort(2 * i, toBfloat16(values.get(p + i)));
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return b;
    }

    static byte[] npy(final ByteBuffer storage, final DType dtype, final int rows, final int cols) {
        final String dict =
                "{'descr': '" + dtype.npyDescr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        final int unpadded = 10 + dict.length() + 1;
        final int pad = (NPY_ALIGNMENT - unpadded % NPY_ALIGNMENT) % NPY_ALIGNMENT;
        final String header = dict + " ".repeat(pad) + "\n";
        final byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer out =
                ByteBuffer.allocate(10 + h.length + storage.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        out.putShort((short) h.length).put(h).put(storage.array(), 0, storage.capacity());
        return out.array();
    }

    /**
     * float32 to IEEE binary16, rounding to nearest, ties to even; overflow gives infinity, NaN stays
     * a (quiet) NaN.
     *
     * @param f the value
     * @return its half-precision bits
     */
    public static short toHalf(final float f) {
        final int x = Float.floatToRawIntBits(f);
        final int sign = (x >>> 16) & 0x8000;
        final int abs = x & 0x7fffffff;
        if (abs >= 0x7f800000) {
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        if (abs >= 0x477ff000) {
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) {
            int h = (abs - 0x38000000) >>> 13;
            final int rem = abs & 0x1fff;
            if (rem > 0x1000 || (rem == 0x1000 && (h & 1) == 1)) {
                h++;
            }
            return (short) (sign | h);
        }
        final int e = abs >>> 23;
        if (e < 102) {
            return (short) sign;
        }
        final int mant = (abs & 0x7fffff) | 0x800000;
        final int shift = 126 - e;
        int m = mant >>> shift;
        final int rem = mant & ((1 << shift) - 1);
        final int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (m & 1) == 1)) {
            m++;
        }
        return (short) (sign | m);
    }

    /**
     * float32 to bfloat16, rounding to nearest, ties to even; NaN stays a (quiet) NaN.
     *
     * @param f the value
     * @return its bfloat16 bits
     */
    public static short toBfloat16(final float f) {
        final int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x40);
        }
        return (short) ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
    }
}
