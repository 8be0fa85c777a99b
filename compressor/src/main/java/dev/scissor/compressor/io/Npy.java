package dev.scissor.compressor.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0-3.0, C order, little-endian) and
 * reads {@code .npz} archives. Sizes are validated against the header before any allocation.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /**
     * Reads one {@code .npy} file.
     *
     * @param file the file
     * @return the array
     * @throws IOException when unreadable or not a valid .npy file (the message says why)
     */
    public static NpyArray read(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, Files.size(file), file.toString());
        }
    }

    /**
     * Reads every array of an {@code .npz} archive.
     *
     * @param file the archive
     * @return arrays by key (entry name without {@code .npy}), in archive order
     * @throws IOException when unreadable or malformed
     */
    public static Map<String, NpyArray> readNpz(final Path file) throws IOException {
        final Map<String, NpyArray> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            final var entries = zip.entries();
            while (entries.hasMoreElements()) {
                final ZipEntry e = entries.nextElement();
                if (!e.getName().endsWith(".npy")) {
                    continue;
                }
                final String key = e.getName().substring(0, e.getName().length() - 4);
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(key, read(in, e.getSize(), file + ":" + e.getName()));
                }
            }
        }
        return out;
    }

    private static NpyArray read(final InputStream in, final long available, final String name) throws IOException {
        final byte[] pre = in.readNBytes(8);
        if (pre.length < 8 || !startsWithMagic(pre)) {
            throw new IOException(name + ": not a .npy file (bad magic)");
        }
        final int major = pre[6];
        final long headerLen;
        int prefix;
        if (major == 1) {
            final byte[] l = in.readNBytes(2);
            if (l.length < 2) {
                throw new IOException(name + ": truncated header");
            }
            headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            final byte[] l = in.readNBytes(4);
            if (l.length < 4) {
                throw new IOException(name + ": truncated header");
            }
            headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            prefix = 12;
        } else {
            throw new IOException(name + ": unsupported .npy version " + major);
        }
        if (headerLen > MAX_HEADER) {
            throw new IOException(name + ": header of " + headerLen + " bytes is too large");
        }
        final byte[] hb = in.readNBytes((int) headerLen);
        if (hb.length < headerLen) {
            throw new IOException(name + ": truncated header");
        }
        final String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        final Matcher dm = DESCR.matcher(header);
        final Matcher fm = FORTRAN.matcher(header);
        final Matcher sm = SHAPE.matcher(header);
        if (!dm.find() || !fm.find() || !sm.find()) {
            throw new IOException(name + ": malformed header " + header.trim());
        }
        final NpyArray.Dtype dtype = NpyArray.Dtype.of(dm.group(1));
        if (dtype == null) {
            throw new IOException(
                    name + ": unsupported dtype " + dm.group(1) + " (supported: <f2, <f4, <f8, |i1, <i4, <i8)");
        }
        if (fm.group(1).equals("True")) {
            throw new IOException(name + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
        }
        final String dims = sm.group(1).trim();
        final String[] parts = dims.isEmpty() ? new String[0] : dims.split(",");
        int rank = 0;
        final int[] tmp = new int[parts.length];
        long count = 1;
        for (final String p : parts) {
            final String t = p.trim();
            if (t.isEmpty()) {
                continue;
            }
            final long v;
            try {
                v = Long.parseLong(t);
            } catch (final NumberFormatException e) {
                throw new IOException(name + ": bad shape (" + dims + ")");
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IOException(name + ": bad dimension " + v);
            }
            tmp[rank++] = (int) v;
            count = Math.multiplyExact(count, v);
        }
        final int[] shape = java.util.Arrays.copyOf(tmp, rank);
        final long bytes = Math.multiplyExact(count, dtype.size());
        if (bytes > Integer.MAX_VALUE - 64) {
            throw new IOException(name + ": array of " + bytes + " bytes is too large");
        }
        if (available >= 0 && available < prefix + headerLen + bytes) {
            throw new IOException(name + ": truncated data: header promises " + bytes + " bytes, file holds "
                    + Math.max(0, available - prefix - headerLen));
        }
        final byte[] data = in.readNBytes((int) bytes);
        if (data.length < bytes) {
            throw new IOException(name + ": truncated data: expected " + bytes + " bytes, got " + data.length);
        }
        return new NpyArray(dtype, shape, ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN));
    }

    private static boolean startsWithMagic(final byte[] b) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Writes float32 data of the given shape, atomically (a temp file renamed into place). */
    public static void writeFloats(final Path file, final float[] data, final int... shape) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        write(file, NpyArray.Dtype.FLOAT32, shape, b.array(), data.length);
    }

    /** Writes int32 data of the given shape, atomically. */
    public static void writeInts(final Path file, final int[] data, final int... shape) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(data);
        write(file, NpyArray.Dtype.INT32, shape, b.array(), data.length);
    }

    private static void write(
            final Path file, final NpyArray.Dtype dtype, final int[] shape, final byte[] data, final long count)
            throws IOException {
        long c = 1;
        final StringBuilder s = new StringBuilder();
        for (final int v : shape) {
            c *= v;
            s.append(v).append(", ");
        }
        if (c != count) {
            throw new IllegalArgumentException("shape holds " + c + " elements, data has " + count);
        }
        final String shapeText =
                shape.length == 1 ? shape[0] + "," : s.length() == 0 ? "" : s.substring(0, s.length() - 2);
        final StringBuilder h = new StringBuilder(
                "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': (" + shapeText + "), }");
        while ((10 + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.write(MAGIC);
        head.write(1);
        head.write(0);
        head.write(h.length() & 0xff);
        head.write(h.length() >>> 8);
        head.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        final Path dir = file.toAbsolutePath().getParent();
        final Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                head.writeTo(out);
                out.write(data);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
