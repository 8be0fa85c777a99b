package dev.scissor.encoder.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.testing.TestAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Obtains the real built-in models with {@code npm pack} (or from the cache in {@code
 * SCISSOR_MODEL_CACHE} / {@code ~/.cache/scissor/models}), converts them with the project's
 * converter and checks that the result is byte-identical to the recorded digest and to the
 * reference files in {@code ../shared/models}.
 */
class BuiltinModelsIT {

    private static final Logger LOG = LoggerFactory.getLogger(BuiltinModelsIT.class);

    static Stream<NpmModelRecipe> recipes() {
        return BuiltinModels.all().stream();
    }

    @ParameterizedTest
    @MethodSource("recipes")
    void conversionIsByteIdenticalToTheReference(final NpmModelRecipe recipe) throws Exception {
        final Path cached = TestAssets.model(recipe); // fetches the tarball if needed
        final Path tgz = ModelStore.fromEnvironment().fetchTarball(recipe);
        assertEquals(recipe.integrity(), ModelStore.integrityOf(tgz));

        final long t0 = System.nanoTime();
        final byte[] converted = ModelStore.convert(recipe, tgz);
        LOG.info(
                "{}: converted {} bytes in {} ms", recipe.id(), converted.length, (System.nanoTime() - t0) / 1_000_000);
        assertEquals(recipe.onnxSha256(), ModelStore.sha256Hex(converted));
        assertArrayEquals(converted, Files.readAllBytes(cached));
        assertTrue(Files.readString(ModelStore.licensePath(cached)).startsWith("MIT License"));
        assertTrue(Files.readString(ModelStore.provenancePath(cached))
                .contains("npm.integrity=" + recipe.integrity().replace("=", "\\=")));

        final Path reference = TestAssets.referenceModel(recipe.onnxFileName());
        assertArrayEquals(Files.readAllBytes(reference), converted, "converted model differs from " + reference);
    }
}
