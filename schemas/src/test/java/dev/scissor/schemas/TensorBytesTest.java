package dev.scissor.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorBytesTest {

    @Test
    void encodesLittleEndianFloat32() {
        final ByteBuffer bytes = TensorBytes.toLittleEndian(new float[] {1.0f, -2.0f});
        assertEquals(0, bytes.position());
        assertEquals(8, bytes.remaining());
        final byte[] raw = new byte[8];
        bytes.duplicate().get(raw);
        // 1.0f = 0x3F800000, -2.0f = 0xC0000000, least significant byte first.
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0}, raw);
    }

    @Test
    void encodesASliceAndReadsItBackExactly() {
        final float[] data = {9f, Float.MIN_VALUE, -0.0f, Float.NaN, Float.MAX_VALUE, 3.5f, 9f};
        final ByteBuffer bytes = TensorBytes.toLittleEndian(data, 1, 5);
        assertEquals(20, bytes.remaining());
        final float[] back = TensorBytes.readFloats(bytes, 5);
        assertArrayEquals(new float[] {Float.MIN_VALUE, -0.0f, Float.NaN, Float.MAX_VALUE, 3.5f}, back);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back[1]));
    }

    @Test
    void readingLeavesTheBufferUntouched() {
        final ByteBuffer bytes = TensorBytes.toLittleEndian(new float[] {1f, 2f, 3f});
        final ByteBuffer bigEndianView = bytes.duplicate().order(ByteOrder.BIG_ENDIAN);
        TensorBytes.readFloats(bytes, 3);
        TensorBytes.readFloats(bigEndianView, 3);
        assertEquals(0, bytes.position());
        assertEquals(12, bytes.remaining());
        assertEquals(ByteOrder.BIG_ENDIAN, bigEndianView.order());
        assertArrayEquals(new float[] {1f, 2f, 3f}, TensorBytes.readFloats(bigEndianView, 3));
    }

    @Test
    void readsFromTheBuffersPositionNotFromZero() {
        final ByteBuffer bytes = TensorBytes.toLittleEndian(new float[] {7f, 8f, 9f});
        bytes.position(4);
        assertArrayEquals(new float[] {8f, 9f}, TensorBytes.readFloats(bytes, 2));
    }

    @Test
    void rejectsALengthMismatchWithAClearMessage() {
        final ByteBuffer bytes = TensorBytes.toLittleEndian(new float[] {1f, 2f, 3f});
        final IllegalArgumentException tooFew =
                assertThrows(IllegalArgumentException.class, () -> TensorBytes.readFloats(bytes, 4));
        assertTrue(tooFew.getMessage().contains("needs exactly 16 bytes"), tooFew.getMessage());
        assertTrue(tooFew.getMessage().contains("has 12"), tooFew.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorBytes.readFloats(bytes, 2));
        assertThrows(
                IllegalArgumentException.class,
                () -> TensorBytes.decode(bytes, 2, 2, TokenDtype.FLOAT32),
                "3 floats are not a 2x2 tensor");
        assertThrows(IllegalArgumentException.class, () -> TensorBytes.decode(bytes, 1, 5, TokenDtype.FLOAT16));
    }

    @Test
    void rejectsNegativeShapes() {
        final ByteBuffer empty = ByteBuffer.allocate(0);
        assertThrows(IllegalArgumentException.class, () -> TensorBytes.readFloats(empty, -1));
        assertThrows(IllegalArgumentException.class, () -> TensorBytes.decode(empty, -2, -3, TokenDtype.FLOAT32));
    }

    @Test
    void detectsIntOverflowBeforeAllocating() {
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TensorBytes.byteLength(65_536, 32_768, 1));
        assertTrue(e.getMessage().contains("2147483648 bytes"), e.getMessage());
        // rows*cols fits an int, times the element size does not.
        assertThrows(IllegalArgumentException.class, () -> TensorBytes.byteLength(1 << 29, 1, 4));
        assertEquals(Integer.MAX_VALUE - 3, TensorBytes.byteLength((Integer.MAX_VALUE >> 2), 1, 4));
        assertThrows(
                IllegalArgumentException.class,
                () -> TensorBytes.decode(
                        ByteBuffer.allocate(8), Integer.MAX_VALUE, Integer.MAX_VALUE, TokenDtype.FLOAT32));
    }

    @Test
    void rejectsASliceOutsideTheArray() {
        assertThrows(IndexOutOfBoundsException.class, () -> TensorBytes.toLittleEndian(new float[4], 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> TensorBytes.toLittleEndian(new float[4], -1, 1));
    }

    @Test
    void decodesFloat16IncludingSpecialValues() {
        assertEquals(1.0f, TensorBytes.float16ToFloat((short) 0x3C00));
        assertEquals(-2.0f, TensorBytes.float16ToFloat((short) 0xC000));
        assertEquals(65504f, TensorBytes.float16ToFloat((short) 0x7BFF), "largest half");
        assertEquals(0x1p-14f, TensorBytes.float16ToFloat((short) 0x0400), "smallest normal");
        assertEquals(0x1p-24f, TensorBytes.float16ToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(0x3FFp-24f, TensorBytes.float16ToFloat((short) 0x03FF), "largest subnormal");
        assertEquals(0.333251953125f, TensorBytes.float16ToFloat((short) 0x3555));
        assertEquals(Float.POSITIVE_INFINITY, TensorBytes.float16ToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, TensorBytes.float16ToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(TensorBytes.float16ToFloat((short) 0x7E00)));
        assertEquals(
                Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(TensorBytes.float16ToFloat((short) 0x8000)));
        assertEquals(0, Float.floatToRawIntBits(TensorBytes.float16ToFloat((short) 0x0000)));
    }

    @Test
    void float16DecodingMatchesAReferenceForEveryBitPattern() {
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            final float actual = TensorBytes.float16ToFloat((short) bits);
            final float expected = referenceHalfToFloat(bits);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(actual), Integer.toHexString(bits));
            } else {
                assertEquals(
                        Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), Integer.toHexString(bits));
            }
        }
    }

    @Test
    void decodesFloat16TensorsOfFrames() {
        final ByteBuffer halfs = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        halfs.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3800);
        halfs.putShort((short) 0x0000).flip();
        final FrameTokens frame = FrameTokens.newBuilder(TestRecords.frameTokens())
                .setGridHeight(1)
                .setGridWidth(2)
                .setTokenDim(2)
                .setDtype(TokenDtype.FLOAT16)
                .setTensor(halfs)
                .build();
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 0f}, TensorBytes.decode(frame));
        assertEquals(0, halfs.position());
    }

    @Test
    void decodesFrameAndWindowTensorsAndChecksTheirShape() {
        final FrameTokens frame = TestRecords.frameTokens();
        final float[] values = TensorBytes.decode(frame);
        assertEquals(2 * 3 * 4, values.length);
        assertEquals(-1.5f, values[0]);
        assertEquals(23 * 0.25f - 1.5f, values[23]);

        final FrameTokens wrongDim =
                FrameTokens.newBuilder(frame).setTokenDim(5).build();
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TensorBytes.decode(wrongDim));
        assertTrue(e.getMessage().contains("[6, 5]"), e.getMessage());

        final CompressedWindow window = TestRecords.compressedWindow();
        assertEquals(6, TensorBytes.decode(window).length);
        final CompressedWindow wrongCount =
                CompressedWindow.newBuilder(window).setTokenCount(4).build();
        assertThrows(IllegalArgumentException.class, () -> TensorBytes.decode(wrongCount));
    }

    /** Straightforward half-to-float by the IEEE 754 formula, in double precision. */
    private static float referenceHalfToFloat(final int bits) {
        final int sign = (bits & 0x8000) != 0 ? -1 : 1;
        final int exponent = (bits >> 10) & 0x1F;
        final int fraction = bits & 0x3FF;
        if (exponent == 0x1F) {
            return fraction == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        }
        if (exponent == 0) {
            final double magnitude = fraction * Math.pow(2, -24);
            return (float) (sign < 0 ? -magnitude : magnitude);
        }
        return (float) (sign * (1 + fraction / 1024.0) * Math.pow(2, exponent - 15));
    }
}
