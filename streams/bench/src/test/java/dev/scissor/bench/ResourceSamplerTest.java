package dev.scissor.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResourceSamplerTest {

    @TempDir
    Path dir;

    @Test
    void residentMemoryGrowsWithTouchedMemory() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "Linux /proc");
        final long before = ResourceSampler.residentBytes();
        final java.nio.ByteBuffer touched = java.nio.ByteBuffer.allocateDirect(64 << 20);
        for (int i = 0; i < touched.capacity(); i += 4096) {
            touched.put(i, (byte) 1);
        }
        final long after = ResourceSampler.residentBytes();
        assertTrue(
                before > 0 && after - before >= 32L << 20, "RSS " + before + " -> " + after + " after touching 64 MB");
    }

    @Test
    void openFilesCountsDescriptors() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "Linux /proc");
        final long before = ResourceSampler.openFiles();
        final Path f = Files.writeString(dir.resolve("f"), "x");
        final List<InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                open.add(Files.newInputStream(f));
            }
            final long now = ResourceSampler.openFiles();
            assertTrue(now >= before + 5 && now <= before + 10, "five more descriptors: " + before + " -> " + now);
        } finally {
            for (final InputStream in : open) {
                in.close();
            }
        }
    }

    @Test
    void aSampleCarriesRssAndOpenFiles() throws Exception {
        final List<ResourceSampler.Sample> samples = new ArrayList<>();
        try (ResourceSampler s = ResourceSampler.start(
                dir, 60, () -> new ResourceSampler.Progress("p", 0, 0, 0), (from, q) -> Double.NaN, samples::add)) {
            s.sample();
        }
        assertTrue(samples.size() >= 2, "on demand and at close: " + samples.size());
        final ResourceSampler.Sample last = samples.get(samples.size() - 1);
        assertTrue(last.rssBytes() > 0 && last.openFiles() > 0, last.line());
        assertTrue(last.heapCommittedBytes() >= last.heapUsedBytes(), last.line());
        assertTrue(last.line().contains("RSS") && last.line().contains("open files"), last.line());
    }
}
