package dev.scissor.encoder.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Minimal {@code .npy} (format 1.0) reading and writing for tests that exchange arrays with the
 * Python exporter: little-endian {@code uint8} out, {@code float32} in, C order.
 */
public final class TestNpy {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private TestNpy() {}

    /** A float32 array and its shape. */
    public record Floats(long[] shape, float[] data) {}

    /**
     * Writes a {@code uint8} array.
     *
     * @param file target
     * @param data the bytes, C order
     * @param shape its shape
     * @throws IOException if it cannot be written
     */
    public static void writeUint8(final Path file, final byte[] data, final long... shape) throws IOException {
        final StringBuilder dims = new StringBuilder();
        for (final long d : shape) {
            dims.append(d).append(", ");
        }
        final String dimText =
                shape.length == 1 ? dims.toString().strip() : dims.substring(0, Math.max(0, dims.length() - 2));
        String header = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + dimText + "), }";
        final int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        final ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        head.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0)
                .putShort((short) header.length());
        final byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        final byte[] out = new byte[10 + h.length + data.length];
        System.arraycopy(head.array(), 0, out, 0, 10);
        System.arraycopy(h, 0, out, 10, h.length);
        System.arraycopy(data, 0, out, 10 + h.length, data.length);
        Files.write(file, out);
    }

    /**
     * Reads a little-endian {@code float32} array.
     *
     * @param file the .npy file
     * @return shape and values
     * @throws IOException if it cannot be read or is not such an array
     */
    public static Floats readFloat32(final Path file) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.get(0) != (byte) 0x93 || b.get(6) != 1) {
            throw new IOException(file + ": not a version 1 .npy file");
        }
        final int hlen = Short.toUnsignedInt(b.getShort(8));
        final String header = new String(b.array(), 10, hlen, StandardCharsets.US_ASCII);
        final Matcher d = DESCR.matcher(header);
        final Matcher s = SHAPE.matcher(header);
        if (!d.find() || !"<f4".equals(d.group(1)) || !s.find() || header.contains("True")) {
            throw new IOException(file + ": expected a C-order <f4 array, header " + header.strip());
        }
        final long[] shape = Arrays.stream(s.group(1).split(","))
                .map(String::strip)
                .filter(x -> !x.isEmpty())
                .mapToLong(Long::parseLong)
                .toArray();
        final long n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
        final float[] v = new float[(int) n];
        b.position(10 + hlen);
        b.asFloatBuffer().get(v);
        return new Floats(shape, v);
    }
}
