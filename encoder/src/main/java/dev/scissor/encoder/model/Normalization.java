package dev.scissor.encoder.model;

import java.util.Arrays;

/**
 * How 8-bit pixel values become model input values, per channel in the model's channel order:
 * {@code x = (p * scale - mean[c]) / std[c]}, where {@code p} is the 0..255 pixel value.
 *
 * <p>{@code scale} expresses the input range before mean/std: {@code 1/255} for [0,1] ({@link
 * #UNIT}, what both built-in encoders expect; the models rescale internally), {@code 1} for
 * 0..255.
 *
 * @param scale multiplier applied to the 0..255 pixel value
 * @param mean per-channel mean subtracted after scaling (3 values)
 * @param std per-channel divisor applied last (3 positive values)
 */
public record Normalization(float scale, float[] mean, float[] std) {

    /** Pixels scaled to [0,1], no mean/std. */
    public static final Normalization UNIT = new Normalization(1f / 255f, new float[] {0, 0, 0}, new float[] {1, 1, 1});

    /** Pixels scaled to [-1,1] ({@code (x/255 - 0.5)/0.5}), as SigLIP towers expect. */
    public static final Normalization SIGLIP =
            new Normalization(1f / 255f, new float[] {.5f, .5f, .5f}, new float[] {.5f, .5f, .5f});

    // Validates and copies the arrays.
    public Normalization {
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("normalisation scale must be positive, got " + scale);
        }
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException("normalisation needs 3 mean and 3 std values");
        }
        for (final float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("normalisation std must be positive: " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /**
     * Normalises one 0..255 value of channel {@code c}.
     *
     * @param c channel index in model order
     * @param pixel value 0..255 (may be fractional after interpolation)
     * @return the model input value
     */
    public float apply(final int c, final float pixel) {
        return (pixel * scale - mean[c]) / std[c];
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Normalization n
                && n.scale == scale
                && Arrays.equals(n.mean, mean)
                && Arrays.equals(n.std, std);
    }

    @Override
    public int hashCode() {
        return Float.hashCode(scale) * 31 * 31 + Arrays.hashCode(mean) * 31 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[scale=" + scale + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
                + "]";
    }
}
