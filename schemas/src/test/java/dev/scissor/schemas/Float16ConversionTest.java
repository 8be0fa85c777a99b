package dev.scissor.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TensorBytes#floatToFloat16(float)} against a reference that picks the nearest half value
 * by exact comparison: every half value round-trips, every tie between two neighbouring halves
 * goes to the even one, and floats on either side of a tie go to the nearer neighbour.
 */
class Float16ConversionTest {

    /** The non-negative finite half values, ascending: bits 0x0000 .. 0x7BFF as doubles. */
    private static final double[] HALVES = new double[0x7C00];

    static {
        for (int bits = 0; bits < HALVES.length; bits++) {
            HALVES[bits] = TensorBytes.float16ToFloat((short) bits);
        }
    }

    @Test
    void everyHalfValueRoundTrips() {
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            final short back = TensorBytes.floatToFloat16(TensorBytes.float16ToFloat((short) bits));
            if (isHalfNaN(bits)) {
                assertTrue(isHalfNaN(back & 0xFFFF), Integer.toHexString(bits));
                assertEquals(bits & 0x8000, back & 0x8000, "sign of NaN " + Integer.toHexString(bits));
            } else {
                assertEquals(bits, back & 0xFFFF, Integer.toHexString(bits));
            }
        }
    }

    @Test
    void tiesGoToTheEvenNeighbourAndOtherValuesToTheNearest() {
        for (int bits = 0; bits < 0x7C00; bits++) {
            final double lo = HALVES[bits];
            final double hi = bits + 1 < HALVES.length ? HALVES[bits + 1] : 65536.0; // 0x7C00 = inf
            final float tie = (float) ((lo + hi) / 2); // 12 significant bits: exact in float
            assertEquals((lo + hi) / 2, tie, 0.0);
            final int even = (bits & 1) == 0 ? bits : bits + 1;
            for (final int sign : new int[] {0, 0x8000}) {
                final float s = sign == 0 ? 1f : -1f;
                assertHalf(sign | even, s * tie);
                assertHalf(sign | bits, s * Math.nextDown(tie));
                assertHalf(sign | bits + 1, s * Math.nextUp(tie));
            }
        }
    }

    @Test
    void randomFloatsMatchTheReference() {
        final SplittableRandom random = new SplittableRandom(20_261_207L);
        for (int i = 0; i < 2_000_000; i++) {
            final float f = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(f)) {
                assertHalf(reference(f), f);
            }
        }
        for (int i = 0; i < 2_000_000; i++) { // the magnitudes halves can hold, densely
            final float f = (float) ((random.nextBoolean() ? 1 : -1)
                    * random.nextDouble(0, 70_000.0)
                    * Math.pow(2, -random.nextInt(40)));
            assertHalf(reference(f), f);
        }
    }

    @Test
    void specialValuesSubnormalsAndOverflow() {
        assertHalf(0x0000, 0f);
        assertHalf(0x8000, -0f);
        assertHalf(0x7C00, Float.POSITIVE_INFINITY);
        assertHalf(0xFC00, Float.NEGATIVE_INFINITY);
        assertHalf(0x7BFF, 65504f);
        assertHalf(0x7BFF, Math.nextDown(65520f));
        assertHalf(0x7C00, 65520f);
        assertHalf(0xFC00, -65520f);
        assertHalf(0x7C00, Float.MAX_VALUE);
        assertHalf(0x0400, 0x1p-14f);
        assertHalf(0x0400, Math.nextDown(0x1p-14f));
        assertHalf(0x03FF, 0x3FFp-24f);
        assertHalf(0x0001, 0x1p-24f);
        assertHalf(0x0000, 0x1p-25f);
        assertHalf(0x8000, -0x1p-25f);
        assertHalf(0x0001, Math.nextUp(0x1p-25f));
        assertHalf(0x0002, 0x3p-25f);
        assertHalf(0x0002, 0x5p-25f);
        assertHalf(0x0000, Float.MIN_VALUE);
        assertHalf(0x3C00, 1f);
        assertHalf(0x3C00, 1f + 0x1p-11f);
        assertHalf(0x3C02, 1f + 0x3p-11f);
        assertHalf(0x3C01, Math.nextDown(1f + 0x3p-11f));
        assertHalf(0x3555, 1f / 3);
        for (final int nan : new int[] {0x7FC0_0000, 0x7F80_0001, 0x7FBF_FFFF, 0xFFC0_0000, 0xFF80_0001}) {
            final int half = TensorBytes.floatToFloat16(Float.intBitsToFloat(nan)) & 0xFFFF;
            assertTrue(isHalfNaN(half), Integer.toHexString(nan) + " -> " + Integer.toHexString(half));
            assertEquals((nan >>> 16) & 0x8000, half & 0x8000, "sign of " + Integer.toHexString(nan));
        }
    }

    @Test
    void encodesAndDecodesFloat16Tensors() {
        final float[] values = {1f, -2f, 0.5f, 1f / 3, 70_000f, 0x1p-24f};
        final ByteBuffer bytes = TensorBytes.encode(values, TokenDtype.FLOAT16);
        assertEquals(values.length * 2, bytes.remaining());
        assertEquals(ByteOrder.LITTLE_ENDIAN, bytes.order());
        assertEquals(0x3C00, bytes.getShort(0) & 0xFFFF);
        assertArrayEquals(
                new float[] {1f, -2f, 0.5f, 0.333251953125f, Float.POSITIVE_INFINITY, 0x1p-24f},
                TensorBytes.decode(bytes, 2, 3, TokenDtype.FLOAT16));
        assertEquals(0, bytes.position());
        assertEquals(TensorBytes.toLittleEndian(values, 1, 4), TensorBytes.encode(values, 1, 4, TokenDtype.FLOAT32));
    }

    @Test
    void decodesWindowsInTheirDtype() {
        final float[] values = {1f, -2f, 0.5f, 0.25f, 3f, -4f};
        final CompressedWindow window = CompressedWindow.newBuilder(TestRecords.compressedWindow())
                .setDtype(TokenDtype.FLOAT16)
                .setTokens(TensorBytes.encode(values, TokenDtype.FLOAT16))
                .build();
        assertArrayEquals(values, TensorBytes.decode(window));
    }

    private static void assertHalf(final int expected, final float value) {
        final int actual = TensorBytes.floatToFloat16(value) & 0xFFFF;
        assertEquals(
                expected,
                actual,
                () -> value + " (" + Integer.toHexString(Float.floatToRawIntBits(value)) + ") -> 0x"
                        + Integer.toHexString(actual) + ", expected 0x" + Integer.toHexString(expected));
    }

    /** The nearest half by exact comparison in double (every float and half is a double). */
    private static int reference(final float f) {
        final int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        final double a = Math.abs((double) f);
        if (a >= 65520.0) {
            return sign | 0x7C00;
        }
        int lo = Arrays.binarySearch(HALVES, a);
        if (lo >= 0) {
            return sign | lo;
        }
        lo = -lo - 2; // the largest half below a
        final double below = a - HALVES[lo];
        final double above = (lo + 1 < HALVES.length ? HALVES[lo + 1] : 65536.0) - a;
        if (below < above || below == above && (lo & 1) == 0) {
            return sign | lo;
        }
        return sign | lo + 1;
    }

    private static boolean isHalfNaN(final int bits) {
        return (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0;
    }
}
