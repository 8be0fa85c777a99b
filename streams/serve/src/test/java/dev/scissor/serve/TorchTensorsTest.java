package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TorchTensors} against what PyTorch writes: byte for byte against {@code torch.save} of
 * PyTorch 1.13.1 (Debian's python3-torch), and its pickles for larger shapes.
 */
class TorchTensorsTest {

    /** A tensor as read back: the pickle and the storage. */
    record Loaded(byte[] pickle, float[] values) {}

    /** Reads a torch.save archive with the JDK's ZIP reader (an independent check of the layout). */
    static Loaded load(final byte[] bytes, final Path dir) throws Exception {
        final Path f = Files.createTempFile(dir, "tensor", ".pt");
        Files.write(f, bytes);
        try (ZipFile zip = new ZipFile(f.toFile())) {
            final List<String> names = new ArrayList<>();
            zip.stream().forEach(e -> names.add(e.getName()));
            assertEquals(List.of("archive/data.pkl", "archive/data/0", "archive/version"), names);
            for (final ZipEntry e : zip.stream().toList()) {
                assertEquals(ZipEntry.STORED, e.getMethod());
            }
            try (InputStream v = zip.getInputStream(zip.getEntry("archive/version"))) {
                assertEquals("3\n", new String(v.readAllBytes()));
            }
            final byte[] pickle;
            try (InputStream p = zip.getInputStream(zip.getEntry("archive/data.pkl"))) {
                pickle = p.readAllBytes();
            }
            final byte[] data;
            try (InputStream d = zip.getInputStream(zip.getEntry("archive/data/0"))) {
                data = d.readAllBytes();
            }
            final FloatBuffer fb =
                    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            final float[] values = new float[fb.remaining()];
            fb.get(values);
            return new Loaded(pickle, values);
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void byteForByteWhatTorchSaveWrites() throws Exception {
        final byte[] expected;
        try (InputStream in = getClass().getResourceAsStream("torch-1.13-arange6-2x3.pt")) {
            expected = in.readAllBytes(); // torch.save(torch.arange(6, dtype=torch.float32).reshape(2, 3), buf)
        }
        final byte[] actual = TorchTensors.save(FloatBuffer.wrap(new float[] {0, 1, 2, 3, 4, 5}), 2, 3);
        assertEquals(747, expected.length);
        assertArrayEquals(expected, actual);
    }

    @Test
    void picklesOfLargerShapesMatchTorch() {
        // data.pkl of torch.save(torch.zeros(196, 816)) and torch.zeros(3, 2, 300), PyTorch 1.13.1.
        assertEquals(
                "800263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71002828580700000073746f"
                        + "72616765710163746f7263680a466c6f617453746f726167650a71025801000000307103580300000063707571044ac0"
                        + "700200747105514b004bc44d30038671064d30034b018671078963636f6c6c656374696f6e730a4f726465726564446963"
                        + "740a71082952710974710a52710b2e",
                HexFormat.of()
                        .formatHex(TorchTensors.pickle(
                                "FloatStorage", 196 * 816, new long[] {196, 816}, new long[] {816, 1})));
        assertEquals(
                "800263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71002828580700000073746f"
                        + "72616765710163746f7263680a466c6f617453746f726167650a71025801000000307103580300000063707571044d0807"
                        + "747105514b004b034b024d2c018771064d58024d2c014b018771078963636f6c6c656374696f6e730a4f72646572656444"
                        + "6963740a71082952710974710a52710b2e",
                HexFormat.of()
                        .formatHex(TorchTensors.pickle(
                                "FloatStorage", 1800, new long[] {3, 2, 300}, new long[] {600, 300, 1})));
    }

    @Test
    void storageIsTheValuesInOrderAndDataIsAligned(@TempDir final Path dir) throws Exception {
        final float[] v = new float[57 * 816];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i);
        }
        final FloatBuffer buf = FloatBuffer.wrap(v);
        final byte[] bytes = TorchTensors.save(buf, 57, 816);
        assertEquals(0, buf.position(), "the input buffer is not moved");
        final Loaded t = load(bytes, dir);
        assertArrayEquals(v, t.values());
        assertArrayEquals(
                TorchTensors.pickle("FloatStorage", v.length, new long[] {57, 816}, new long[] {816, 1}), t.pickle());
        // Each record's data starts on a 64-byte boundary, as PyTorch's writer lays it out.
        final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int offset = 0;
        for (int r = 0; r < 3; r++) {
            assertEquals(0x04034b50, b.getInt(offset));
            final int nameLen = b.getShort(offset + 26) & 0xffff;
            final int extraLen = b.getShort(offset + 28) & 0xffff;
            final int data = offset + 30 + nameLen + extraLen;
            assertEquals(0, data % 64, "record " + r);
            offset = nextHeader(b, data);
        }
    }

    private static int nextHeader(final ByteBuffer b, final int from) {
        for (int i = from; i < b.limit() - 4; i++) {
            if (b.getInt(i) == 0x08074b50) {
                return i + 16;
            }
        }
        throw new AssertionError("no data descriptor");
    }

    @Test
    void rejectsShapesThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> TorchTensors.save(FloatBuffer.allocate(5), 2, 3));
        assertThrows(IllegalArgumentException.class, () -> TorchTensors.save(FloatBuffer.allocate(1), 1, 1, 1, 1));
    }
}
