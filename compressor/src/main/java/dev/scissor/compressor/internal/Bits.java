package dev.scissor.compressor.internal;

/** Helpers for bit rows stored in {@code long[]}. */
public final class Bits {

    private Bits() {}

    /** Words needed for n bits. */
    public static int words(final int n) {
        return (n + 63) >>> 6;
    }

    /** Sets bit i of the row starting at {@code off}. */
    public static void set(final long[] bits, final int off, final int i) {
        bits[off + (i >>> 6)] |= 1L << i;
    }

    /** Tests bit i of the row starting at {@code off}. */
    public static boolean get(final long[] bits, final int off, final int i) {
        return (bits[off + (i >>> 6)] & (1L << i)) != 0;
    }

    /** Number of set bits in {@code words} words from {@code off}. */
    public static int count(final long[] bits, final int off, final int words) {
        int c = 0;
        for (int w = 0; w < words; w++) {
            c += Long.bitCount(bits[off + w]);
        }
        return c;
    }
}
