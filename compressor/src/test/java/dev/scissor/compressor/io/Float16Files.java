package dev.scissor.compressor.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test files in NumPy's float16 format. */
public final class Float16Files {

    private Float16Files() {}

    /** A float16 .npy file as NumPy writes it ({@code np.save(f, x.astype(np.float16))}). */
    public static void writeHalves(final Path file, final short[] halves, final int... shape) throws IOException {
        final StringBuilder dims = new StringBuilder();
        for (final int s : shape) {
            dims.append(s).append(", ");
        }
        final StringBuilder h =
                new StringBuilder("{'descr': '<f2', 'fortran_order': False, 'shape': (" + dims + "), }");
        while ((10 + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length(), (byte) (h.length() >>> 8)});
        b.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        final ByteBuffer data = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
        data.asShortBuffer().put(halves);
        b.write(data.array());
        Files.write(file, b.toByteArray());
    }
}
