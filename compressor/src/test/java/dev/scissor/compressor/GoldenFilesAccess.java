package dev.scissor.compressor;

import java.nio.file.Path;

/** Test access to the golden folder from other packages. */
public final class GoldenFilesAccess {

    private GoldenFilesAccess() {}

    /** The golden folder. */
    public static Path dir() {
        return GoldenFiles.dir();
    }
}
