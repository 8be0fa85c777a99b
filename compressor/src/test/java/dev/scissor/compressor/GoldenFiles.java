package dev.scissor.compressor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates {@code ../shared/golden} relative to the repository root. */
final class GoldenFiles {

    private GoldenFiles() {}

    /** The golden folder; fails with a clear message when it is missing. */
    static Path dir() {
        final String root = System.getProperty("scissor.repo.root");
        Path start = root != null ? Paths.get(root) : Paths.get("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            final Path g = p.resolve("../shared/golden").normalize();
            if (Files.isDirectory(g) && Files.exists(g.resolve("manifest.json"))) {
                return g;
            }
        }
        throw new IllegalStateException("golden vectors not found: expected ../shared/golden beside the repository "
                + "root (" + start.toAbsolutePath() + "); clone the repo next to the shared/ folder");
    }
}
