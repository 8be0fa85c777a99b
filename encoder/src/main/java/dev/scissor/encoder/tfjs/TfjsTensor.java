package dev.scissor.encoder.tfjs;

import java.util.Arrays;

/**
 * A decoded weight of a TFJS graph model. Exactly one of {@code floats} and {@code ints} is set.
 *
 * @param name the weight name (the name of the {@code Const} node that holds it)
 * @param shape the TensorFlow shape (empty for a scalar)
 * @param floats the values for float weights (dequantised), else null
 * @param ints the values for int32 weights, else null
 */
public record TfjsTensor(String name, int[] shape, float[] floats, int[] ints) {

    // Canonical constructor; checks that the element count matches the shape.
    public TfjsTensor {
        if ((floats == null) == (ints == null)) {
            throw new IllegalArgumentException(name + ": exactly one of floats/ints must be set");
        }
        final long n = size(shape);
        final int have = floats != null ? floats.length : ints.length;
        if (n != have) {
            throw new IllegalArgumentException(
                    name + ": shape " + Arrays.toString(shape) + " needs " + n + " values, got " + have);
        }
    }

    /**
     * Whether this is a float tensor.
     *
     * @return true for float32 data
     */
    public boolean isFloat() {
        return floats != null;
    }

    /**
     * Number of elements.
     *
     * @return product of the shape
     */
    public int size() {
        return floats != null ? floats.length : ints.length;
    }

    static long size(final int[] shape) {
        long n = 1;
        for (final int d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return "TfjsTensor[" + name + " " + Arrays.toString(shape) + (isFloat() ? " float" : " int") + "]";
    }
}
