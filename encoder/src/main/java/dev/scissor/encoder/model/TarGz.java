package dev.scissor.encoder.model;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A minimal reader for gzip-compressed tar archives (npm tarballs), enough to pull a few files
 * into memory. It understands ustar names with prefixes, GNU long names ({@code L}) and pax
 * extended headers ({@code x}, the {@code path} key). Only regular files are returned; links,
 * directories and devices are skipped. Nothing is written to disk, so hostile entry names cannot
 * escape a directory.
 */
public final class TarGz {

    private static final int BLOCK = 512;

    private TarGz() {}

    /**
     * Reads the regular files whose names match {@code wanted} from a {@code .tgz} file.
     *
     * @param tgz the archive
     * @param wanted which entry names (as stored, e.g. {@code package/LICENSE}) to keep
     * @return entry name → content, in archive order
     * @throws IOException if the file is not a readable gzip/tar archive
     */
    public static Map<String, byte[]> read(final Path tgz, final Predicate<String> wanted) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz), 1 << 16)) {
            return readTar(in, wanted);
        }
    }

    /**
     * Reads matching regular files from an uncompressed tar stream.
     *
     * @param in the tar stream (not closed)
     * @param wanted which entry names to keep
     * @return entry name → content, in archive order
     * @throws IOException on a truncated or malformed archive
     */
    public static Map<String, byte[]> readTar(final InputStream in, final Predicate<String> wanted) throws IOException {
        final Map<String, byte[]> out = new LinkedHashMap<>();
        final byte[] header = new byte[BLOCK];
        String longName = null;
        while (true) {
            if (!readBlock(in, header)) {
                return out; // EOF without end-of-archive blocks: tolerate
            }
            if (isZero(header)) {
                return out;
            }
            checkChecksum(header);
            final long size = parseNumber(header, 124, 12);
            final char type = (char) header[156];
            final String name = longName != null ? longName : headerName(header);
            longName = null;
            if (type == 'L' || type == 'x') {
                final byte[] data = readData(in, size);
                if (type == 'L') {
                    longName = cString(data, 0, data.length);
                } else {
                    longName = paxPath(data);
                }
                continue;
            }
            if (type == 'g') {
                skip(in, padded(size));
                continue;
            }
            final boolean regular = type == '0' || type == '\0' || type == '7';
            if (regular && wanted.test(name)) {
                out.put(name, readData(in, size));
            } else {
                skip(in, padded(size));
            }
        }
    }

    private static String headerName(final byte[] h) {
        final String name = cString(h, 0, 100);
        final String magic = cString(h, 257, 6);
        if (magic.startsWith("ustar")) {
            final String prefix = cString(h, 345, 155);
            if (!prefix.isEmpty()) {
                return prefix + "/" + name;
            }
        }
        return name;
    }

    /** Returns the {@code path} value of a pax header block, or null. */
    private static String paxPath(final byte[] data) {
        int pos = 0;
        String path = null;
        while (pos < data.length) {
            int sp = pos;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            if (sp >= data.length) {
                break;
            }
            final int len = Integer.parseInt(new String(data, pos, sp - pos, StandardCharsets.US_ASCII));
            if (len <= 0 || pos + len > data.length) {
                break;
            }
            final String rec = new String(data, sp + 1, len - (sp - pos) - 2, StandardCharsets.UTF_8);
            if (rec.startsWith("path=")) {
                path = rec.substring(5);
            }
            pos += len;
        }
        return path;
    }

    private static byte[] readData(final InputStream in, final long size) throws IOException {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("tar entry too large to read into memory: " + size + " bytes");
        }
        final byte[] data = in.readNBytes((int) size);
        if (data.length != size) {
            throw new EOFException("truncated tar entry");
        }
        skip(in, padded(size) - size);
        return data;
    }

    private static long padded(final long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    private static void skip(final InputStream in, final long n) throws IOException {
        long left = n;
        while (left > 0) {
            final long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("truncated tar archive");
                }
                left--;
            } else {
                left -= s;
            }
        }
    }

    private static boolean readBlock(final InputStream in, final byte[] block) throws IOException {
        final int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n != BLOCK) {
            throw new EOFException("truncated tar header");
        }
        return true;
    }

    private static boolean isZero(final byte[] b) {
        for (final byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkChecksum(final byte[] h) throws IOException {
        final long stored = parseNumber(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        if (sum != stored) {
            throw new IOException("bad tar header checksum (not a tar archive, or corrupt)");
        }
    }

    /** Parses an octal (or GNU base-256) numeric header field. */
    static long parseNumber(final byte[] h, final int off, final int len) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        for (int i = off; i < off + len; i++) {
            final byte c = h[i];
            if (c == 0 || c == ' ') {
                if (v != 0) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                break;
            }
            v = v * 8 + (c - '0');
        }
        return v;
    }

    private static String cString(final byte[] b, final int off, final int len) {
        int end = off;
        while (end < off + len && end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }
}
