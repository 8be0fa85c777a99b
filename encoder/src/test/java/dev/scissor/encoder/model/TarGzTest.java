package dev.scissor.encoder.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarGzTest {

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsSelectedRegularFiles(@TempDir final Path dir) throws IOException {
        final byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        final String longPrefixed = "package/" + "d".repeat(90) + "/" + "f".repeat(60) + ".bin";
        final String paxName = "package/" + "p".repeat(150) + "/" + "q".repeat(120) + ".json";
        final String gnuName = "package/" + "g".repeat(140) + ".txt";
        final TarWriter w = new TarWriter()
                .directory("package/")
                .file("package/LICENSE", bytes("MIT"))
                .file("package/skip.js", bytes("nope"))
                .file("package/big.bin", big)
                .file(longPrefixed, bytes("prefixed"))
                .paxFile(paxName, bytes("pax"))
                .gnuLongName(gnuName, bytes("gnu"))
                .file("package/empty", new byte[0]);
        final Path tgz = dir.resolve("t.tgz");
        w.writeTgz(tgz);

        final Map<String, byte[]> got = TarGz.read(tgz, n -> !n.endsWith("skip.js"));
        assertEquals(
                List.of("package/LICENSE", "package/big.bin", longPrefixed, paxName, gnuName, "package/empty"),
                List.copyOf(got.keySet()));
        assertArrayEquals(bytes("MIT"), got.get("package/LICENSE"));
        assertArrayEquals(big, got.get("package/big.bin"));
        assertArrayEquals(bytes("prefixed"), got.get(longPrefixed));
        assertArrayEquals(bytes("pax"), got.get(paxName));
        assertArrayEquals(bytes("gnu"), got.get(gnuName));
        assertEquals(0, got.get("package/empty").length);
    }

    @Test
    void rejectsCorruptAndTruncatedArchives(@TempDir final Path dir) throws IOException {
        final byte[] tar = new TarWriter().file("a", new byte[700]).tar();
        final byte[] corrupt = tar.clone();
        corrupt[10] ^= 1; // breaks the header checksum
        final IOException e =
                assertThrows(IOException.class, () -> TarGz.readTar(new ByteArrayInputStream(corrupt), n -> true));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        final byte[] truncated = java.util.Arrays.copyOf(tar, 600);
        assertThrows(IOException.class, () -> TarGz.readTar(new ByteArrayInputStream(truncated), n -> true));
        final Path notGz = dir.resolve("x.tgz");
        Files.write(notGz, bytes("not gzip"));
        assertThrows(IOException.class, () -> TarGz.read(notGz, n -> true));
    }

    @Test
    void parsesOctalAndBase256Numbers() {
        final byte[] h = new byte[12];
        System.arraycopy(bytes("00000001750 "), 0, h, 0, 12);
        assertEquals(1000, TarGz.parseNumber(h, 0, 12));
        final byte[] b = new byte[12];
        b[0] = (byte) 0x80;
        b[10] = 1;
        b[11] = 2;
        assertEquals(258, TarGz.parseNumber(b, 0, 12));
    }
}
