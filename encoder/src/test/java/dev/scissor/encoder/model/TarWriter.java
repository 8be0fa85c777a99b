package dev.scissor.encoder.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Writes small ustar archives for tests (regular files, directories, pax and GNU long names). */
final class TarWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TarWriter file(final String name, final byte[] data) {
        if (name.length() > 100) {
            final int slash = name.lastIndexOf('/', name.length() - 2);
            if (slash > 0 && slash <= 155 && name.length() - slash - 1 <= 100) {
                header(name.substring(slash + 1), name.substring(0, slash), data.length, '0');
                body(data);
                return this;
            }
            return paxFile(name, data);
        }
        header(name, "", data.length, '0');
        body(data);
        return this;
    }

    TarWriter directory(final String name) {
        header(name, "", 0, '5');
        return this;
    }

    TarWriter paxFile(final String name, final byte[] data) {
        final String rec = " path=" + name + "\n";
        int len = rec.length() + 1;
        while (Integer.toString(len).length() + rec.length() != len) {
            len = Integer.toString(len).length() + rec.length();
        }
        final byte[] pax = (len + rec).getBytes(StandardCharsets.UTF_8);
        header("PaxHeader/x", "", pax.length, 'x');
        body(pax);
        header("truncated-name", "", data.length, '0');
        body(data);
        return this;
    }

    TarWriter gnuLongName(final String name, final byte[] data) {
        final byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        header("././@LongLink", "", n.length, 'L');
        body(n);
        header(name.substring(0, 99), "", data.length, '0');
        body(data);
        return this;
    }

    byte[] tar() {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(out.toByteArray());
        b.writeBytes(new byte[1024]);
        return b.toByteArray();
    }

    void writeTgz(final Path target) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(target))) {
            o.write(tar());
        }
    }

    static void writeTgz(final Path target, final Map<String, byte[]> files) throws IOException {
        final TarWriter w = new TarWriter();
        files.forEach(w::file);
        w.writeTgz(target);
    }

    private void header(final String name, final String prefix, final long size, final char type) {
        final byte[] h = new byte[512];
        put(h, 0, name, 100);
        put(h, 100, "0000644", 8);
        put(h, 108, "0000000", 8);
        put(h, 116, "0000000", 8);
        put(h, 124, String.format("%011o", size), 12);
        put(h, 136, "00000000000", 12);
        h[156] = (byte) type;
        put(h, 257, "ustar", 6);
        put(h, 263, "00", 2);
        put(h, 345, prefix, 155);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (final byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum), 7);
        h[155] = ' ';
        out.writeBytes(h);
    }

    private void body(final byte[] data) {
        out.writeBytes(data);
        final int pad = (512 - data.length % 512) % 512;
        out.writeBytes(new byte[pad]);
    }

    private static void put(final byte[] h, final int off, final String s, final int max) {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > max) {
            throw new IllegalArgumentException("field too long: " + s);
        }
        System.arraycopy(b, 0, h, off, b.length);
    }
}
