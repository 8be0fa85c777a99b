package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.serve.EmbeddingTensors.DType;
import dev.scissor.serve.EmbeddingTensors.Format;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The float16/bfloat16 conversions and the .npy container (their decoding by NumPy/PyTorch: VllmConsumesAskIT). */
class EmbeddingTensorsTest {

    /** The exact float value of IEEE half bits (no rounding: every half is a float). */
    private static float halfToFloat(final int h) {
        final int sign = (h & 0x8000) << 16;
        final int exp = (h >>> 10) & 0x1f;
        final int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            return Math.copySign(mant * 0x1p-24f, sign != 0 ? -1f : 1f);
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    @Test
    void everyHalfValueRoundTripsExactly() {
        for (int h = 0; h < 0x10000; h++) {
            final float f = halfToFloat(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(halfToFloat(EmbeddingTensors.toHalf(f) & 0xffff)), "NaN stays NaN");
                continue;
            }
            assertEquals(h, EmbeddingTensors.toHalf(f) & 0xffff, "half " + Integer.toHexString(h));
        }
    }

    @Test
    void halfRoundsToNearestTiesToEven() {
        for (int h = 0; h < 0x7bff; h++) {
            final float lo = halfToFloat(h);
            final float hi = halfToFloat(h + 1);
            final float mid = (float) (((double) lo + hi) / 2);
            assertEquals((h & 1) == 0 ? h : h + 1, EmbeddingTensors.toHalf(mid) & 0xffff, "tie above " + lo);
            assertEquals(h, EmbeddingTensors.toHalf(Math.nextDown(mid)) & 0xffff, "below the tie above " + lo);
            assertEquals(h + 1, EmbeddingTensors.toHalf(Math.nextUp(mid)) & 0xffff, "above the tie above " + lo);
        }
        assertEquals(0x7bff, EmbeddingTensors.toHalf(65519.99f) & 0xffff);
        assertEquals(0x7c00, EmbeddingTensors.toHalf(65520f) & 0xffff, "the tie with 65536 goes to infinity");
        assertEquals(0xfc00, EmbeddingTensors.toHalf(-1e30f) & 0xffff);
        assertEquals(0, EmbeddingTensors.toHalf(0x1p-25f), "2^-25 ties to zero");
        assertEquals(1, EmbeddingTensors.toHalf(Math.nextUp(0x1p-25f)));
        assertEquals(0x8000, EmbeddingTensors.toHalf(-0f) & 0xffff);
    }

    @Test
    void bfloat16RoundsToNearestTiesToEven() {
        assertEquals(0x3f80, EmbeddingTensors.toBfloat16(1f) & 0xffff);
        assertEquals(0x3f80, EmbeddingTensors.toBfloat16(Float.intBitsToFloat(0x3f808000)) & 0xffff, "tie to even");
        assertEquals(0x3f82, EmbeddingTensors.toBfloat16(Float.intBitsToFloat(0x3f818000)) & 0xffff, "tie to even");
        assertEquals(0x3f81, EmbeddingTensors.toBfloat16(Float.intBitsToFloat(0x3f808001)) & 0xffff);
        assertEquals(0x7f80, EmbeddingTensors.toBfloat16(Float.MAX_VALUE) & 0xffff, "rounds up to infinity");
        assertTrue((EmbeddingTensors.toBfloat16(Float.NaN) & 0x7fff) > 0x7f80, "NaN stays NaN");
    }

    @Test
    void npyHasTheFormat10HeaderAlignedTo64Bytes() {
        final byte[] b = EmbeddingTensors.encode(
                FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6}), 2, 3, Format.NPY, DType.FLOAT16);
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        final int headerLen =
                ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        assertEquals(0, (10 + headerLen) % 64);
        final String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith("\n"));
        assertEquals(10 + headerLen + 12, b.length);
        assertEquals(
                0x3c00,
                ByteBuffer.wrap(b, 10 + headerLen, 2)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getShort());
    }

    @Test
    void float32TorchIsTheSameAsBefore() {
        final float[] v = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(
                TorchTensors.save(FloatBuffer.wrap(v), 2, 3),
                EmbeddingTensors.encode(FloatBuffer.wrap(v), 2, 3, Format.TORCH, DType.FLOAT32));
    }

    @Test
    void npyCannotCarryBfloat16AndShapesMustFit() {
        final FloatBuffer v = FloatBuffer.wrap(new float[6]);
        assertThrows(
                IllegalArgumentException.class, () -> EmbeddingTensors.encode(v, 2, 3, Format.NPY, DType.BFLOAT16));
        assertThrows(
                IllegalArgumentException.class, () -> EmbeddingTensors.encode(v, 2, 4, Format.TORCH, DType.FLOAT16));
        final ConfigException e = assertThrows(
                ConfigException.class,
                () -> new ServeConfig(Map.of(ServeConfig.EMBEDS_FORMAT, "npy", ServeConfig.EMBEDS_DTYPE, "bfloat16")));
        assertTrue(e.getMessage().contains(ServeConfig.EMBEDS_DTYPE), e.getMessage());
        assertThrows(ConfigException.class, () -> new ServeConfig(Map.of(ServeConfig.EMBEDS_DTYPE, "int8")));
    }

    @Test
    void elementsAlreadyOfTheSentTypeGiveTheSameBytesAsConvertingTheirValues() {
        final float[] v = {1.5f, -2.25f, 3e-5f, 65504f, 0.1f, -0f};
        final ByteBuffer halves = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer floats = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        final float[] widened = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            final short h = EmbeddingTensors.toHalf(v[i]);
            halves.putShort(h);
            floats.putFloat(v[i]);
            widened[i] = halfToFloat(h & 0xffff);
        }
        halves.flip();
        floats.flip();
        for (final Format f : Format.values()) {
            assertArrayEquals(
                    EmbeddingTensors.encode(FloatBuffer.wrap(widened), 2, 3, f, DType.FLOAT16),
                    EmbeddingTensors.encodeElements(halves, 2, 3, f, DType.FLOAT16),
                    f + " float16");
            assertArrayEquals(
                    EmbeddingTensors.encode(FloatBuffer.wrap(v), 2, 3, f, DType.FLOAT32),
                    EmbeddingTensors.encodeElements(floats, 2, 3, f, DType.FLOAT32),
                    f + " float32");
        }
        assertEquals(0, halves.position(), "the buffer is not moved");
        assertThrows(
                IllegalArgumentException.class,
                () -> EmbeddingTensors.encodeElements(halves, 3, 3, Format.TORCH, DType.FLOAT16));
    }
}
