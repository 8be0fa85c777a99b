package dev.scissor.compressor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyFloat16Test {

    @TempDir
    Path dir;

    @Test
    void readsFloat16Values() throws IOException {
        // 0, -0, 1, -2, 0.1 (nearest half), 65504 (largest), 2^-24 (smallest subnormal), 2^-14 (smallest normal), inf
        final short[] h = {0x0000, (short) 0x8000, 0x3C00, (short) 0xC000, 0x2E66, 0x7BFF, 0x0001, 0x0400, 0x7C00};
        final Path f = dir.resolve("h.npy");
        Float16Files.writeHalves(f, h, 3, 3);
        final NpyArray a = Npy.read(f);
        assertEquals(NpyArray.Dtype.FLOAT16, a.dtype());
        assertArrayEquals(new int[] {3, 3}, a.shape());
        final float[] v = a.toFloats();
        assertArrayEquals(
                new float[] {0f, -0f, 1f, -2f, 0.0999755859375f, 65504f, 0x1.0p-24f, 0x1.0p-14f, Float.POSITIVE_INFINITY
                },
                v);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(v[1]), "negative zero keeps its sign");
        assertEquals(0.0999755859375, a.toDoubles()[4]);
    }

    @Test
    void everyHalfConvertsExactly() {
        for (int bits = 0; bits < 0x10000; bits++) {
            final int exp = (bits >>> 10) & 0x1F;
            final int mant = bits & 0x3FF;
            final double sign = (bits & 0x8000) != 0 ? -1 : 1;
            final float v = NpyArray.halfToFloat((short) bits);
            if (exp == 0x1F) {
                assertTrue(mant == 0 ? Float.isInfinite(v) && Math.signum(v) == sign : Float.isNaN(v), "bits " + bits);
            } else {
                final double expected =
                        exp == 0 ? sign * mant * 0x1.0p-24 : sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
                assertEquals(expected, v, 0.0, "bits " + Integer.toHexString(bits));
            }
        }
    }
}
