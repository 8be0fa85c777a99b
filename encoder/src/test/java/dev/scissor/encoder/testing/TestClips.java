package dev.scissor.encoder.testing;

import dev.scissor.encoder.media.Ffmpeg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Video test assets: the real clip {@code vtest.avi} (ENCODERS.md §10), and whether FFmpeg's
 * libavdevice (lavfi, V4L2) loads. Missing ones skip the test, or fail it with {@code
 * scissor.test.requireAssets=true}; see {@link TestAssets}.
 */
public final class TestClips {

    /** sha256 of Debian opencv-doc 4.6.0's vtest.avi. */
    public static final String VTEST_SHA256 = "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf";

    private TestClips() {}

    /**
     * vtest.avi from the system property {@code scissor.test.clip}, the environment variable
     * {@code SCISSOR_TEST_CLIP} (a file, or a directory holding vtest.avi), the fetch script's
     * default {@code /opt/opencv-clip}, or an installed opencv-doc.
     *
     * @return the clip, or null
     */
    public static Path vtestOrNull() {
        final List<String> candidates = new ArrayList<>();
        for (final String v :
                new String[] {System.getProperty("scissor.test.clip"), System.getenv("SCISSOR_TEST_CLIP")}) {
            if (v != null && !v.isBlank()) {
                candidates.add(v.strip());
            }
        }
        candidates.add("/opt/opencv-clip/vtest.avi");
        candidates.add("/usr/share/doc/opencv-doc/examples/data/vtest.avi");
        for (final String c : candidates) {
            Path p = Path.of(c);
            if (Files.isDirectory(p)) {
                p = p.resolve("vtest.avi");
            }
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * vtest.avi; skips (or fails) the test if it is absent.
     *
     * @return the clip
     */
    public static Path vtest() {
        final Path p = vtestOrNull();
        TestAssets.assumeAsset(
                p != null,
                "the real clip vtest.avi (Debian opencv-doc). Fetch it with "
                        + "`encoder/scripts/fetch-test-clip.sh /opt/opencv-clip` and set "
                        + "SCISSOR_TEST_CLIP=/opt/opencv-clip/vtest.avi");
        return p;
    }

    /** Skips (or fails) the test if libavdevice (lavfi, V4L2) does not load. */
    public static void assumeLavfi() {
        TestAssets.assumeAsset(
                Ffmpeg.devicesAvailable(),
                "FFmpeg's libavdevice for lavfi sources; "
                        + "JavaCV's build needs the system library libpulse.so.0 (`apt-get install libpulse0`)");
    }
}
