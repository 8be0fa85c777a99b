package dev.scissor.encoder.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.scissor.encoder.tfjs.ConversionSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exercises the fetch → verify → extract → convert → cache pipeline with a tiny package and a
 * fake {@code npm} script, so it runs offline.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class ModelStoreTest {

    private static final String MODEL_JSON = "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":["
            + "{\"name\":\"x\",\"op\":\"Placeholder\",\"attr\":{\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},"
            + "{\"size\":\"4\"},{\"size\":\"4\"},{\"size\":\"3\"}]}}}},"
            + "{\"name\":\"k\",\"op\":\"Const\"},{\"name\":\"y\",\"op\":\"Mul\",\"input\":[\"x\",\"k\"]}]},"
            + "\"weightsManifest\":[{\"paths\":[\"w.bin\"],\"weights\":[{\"name\":\"k\",\"shape\":[],"
            + "\"dtype\":\"float32\"}]}]}";

    @TempDir
    Path tmp;

    private Path cache;
    private Path packageTgz;
    private Path counter;
    private Path script;
    private NpmModelRecipe recipe;

    @BeforeEach
    void setUp() throws IOException {
        cache = tmp.resolve("cache");
        final Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package/LICENSE", "MIT test licence".getBytes(StandardCharsets.UTF_8));
        files.put("package/model/model.json", MODEL_JSON.getBytes(StandardCharsets.UTF_8));
        files.put(
                "package/model/w.bin",
                ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(2f)
                        .array());
        files.put("package/other.js", new byte[10]);
        packageTgz = tmp.resolve("source.tgz");
        TarWriter.writeTgz(packageTgz, files);
        counter = tmp.resolve("npm-calls");
        script = tmp.resolve("fake-npm.sh");
        // $1 mode, $2 tarball to hand out, $3 call log, then npm's own arguments.
        Files.writeString(
                script,
                "#!/bin/sh\n"
                        + "echo \"$4 $5 $6\" >> \"$3\"\n"
                        + "if [ \"$1\" = fail ]; then echo 'npm error code ENOTFOUND'; echo 'npm error network "
                        + "request to https://registry.npmjs.org/tiny failed'; exit 1; fi\n"
                        + "cp \"$2\" ./tiny-pkg-1.0.0.tgz\necho tiny-pkg-1.0.0.tgz\n");
        recipe = recipe(ModelStore.integrityOf(packageTgz), null);
    }

    private static NpmModelRecipe recipe(final String integrity, final String sha) {
        return new NpmModelRecipe(
                "tiny",
                "tiny-pkg",
                "1.0.0",
                integrity,
                "package/model/model.json",
                List.of("package/model/model.json", "package/model/w.bin"),
                "package/LICENSE",
                ConversionSpec.backbone(List.of(new ConversionSpec.Output("y", "feat")), false, OptionalDouble.empty()),
                "tiny.onnx",
                sha);
    }

    private ModelStore store(final String mode) {
        return new ModelStore(
                cache,
                List.of("/bin/sh", script.toString(), mode, packageTgz.toString(), counter.toString()),
                Duration.ofSeconds(30));
    }

    private int npmCalls() throws IOException {
        return Files.exists(counter) ? Files.readAllLines(counter).size() : 0;
    }

    @Test
    void fetchesVerifiesConvertsAndReusesTheCache() throws Exception {
        final ModelStore store = store("ok");
        final Path onnx = store.resolve(recipe);
        assertEquals(cache.resolve("tiny.onnx"), onnx);
        assertEquals(List.of("pack tiny-pkg@1.0.0 --ignore-scripts"), Files.readAllLines(counter));
        final ModelProto m = ModelProto.parseFrom(Files.readAllBytes(onnx));
        assertEquals("feat", m.getGraph().getOutput(0).getName());
        assertEquals("MIT test licence", Files.readString(ModelStore.licensePath(onnx)));
        final Properties prov = new Properties();
        try (var in = Files.newInputStream(ModelStore.provenancePath(onnx))) {
            prov.load(in);
        }
        assertEquals(recipe.integrity(), prov.getProperty("npm.integrity"));
        assertEquals(ModelStore.sha256Hex(onnx), prov.getProperty("onnx.sha256"));
        assertTrue(Files.isRegularFile(cache.resolve("npm/tiny-pkg-1.0.0.tgz")));
        try (var s = Files.list(cache.resolve("npm"))) {
            assertEquals(1, s.count(), "temporary pack directories are removed");
        }

        assertEquals(onnx, store.resolve(recipe));
        assertEquals(1, npmCalls(), "a cached model needs no npm");
        Files.delete(onnx);
        assertEquals(onnx, store.resolve(recipe));
        assertEquals(1, npmCalls(), "a cached tarball needs no npm");
    }

    @Test
    void checksTheRecordedModelDigestAndReconvertsATamperedFile() throws Exception {
        final byte[] expected = ModelStore.convert(recipe, packageTgz);
        final NpmModelRecipe pinned = recipe(recipe.integrity(), ModelStore.sha256Hex(expected));
        final ModelStore store = store("ok");
        final Path onnx = store.resolve(pinned);
        Files.write(onnx, new byte[] {1, 2, 3});
        assertEquals(onnx, store.resolve(pinned));
        assertEquals(ModelStore.sha256Hex(expected), ModelStore.sha256Hex(onnx));

        final NpmModelRecipe wrong = recipe(recipe.integrity(), "00".repeat(32));
        final ModelUnavailableException e =
                assertThrows(ModelUnavailableException.class, () -> ModelStore.convert(wrong, packageTgz));
        assertTrue(e.getMessage().contains("has sha256 " + ModelStore.sha256Hex(expected)), e.getMessage());
    }

    @Test
    void rejectsATarballWithTheWrongIntegrity() throws Exception {
        final NpmModelRecipe other = recipe("sha512-" + "A".repeat(86) + "==", null);
        final ModelUnavailableException e =
                assertThrows(ModelUnavailableException.class, () -> store("ok").resolve(other));
        assertTrue(e.getMessage().contains("does not match its recorded integrity"), e.getMessage());
        assertTrue(e.getMessage().contains(recipe.integrity()), "names the integrity it got");
        assertFalse(Files.exists(cache.resolve("npm/tiny-pkg-1.0.0.tgz")));
        assertFalse(Files.exists(cache.resolve("tiny.onnx")));
    }

    @Test
    void explainsAMissingNpm() {
        final ModelStore store =
                new ModelStore(cache, List.of(tmp.resolve("no-such-npm").toString()), Duration.ofSeconds(5));
        final ModelUnavailableException e = assertThrows(ModelUnavailableException.class, () -> store.resolve(recipe));
        final String msg = e.getMessage();
        assertTrue(msg.contains("cannot run"), msg);
        assertTrue(msg.contains("Install Node.js and npm"), msg);
        assertTrue(msg.contains(ModelStore.NPM_ENV), msg);
        assertTrue(msg.contains("https://registry.npmjs.org/tiny-pkg/-/tiny-pkg-1.0.0.tgz"), msg);
        assertTrue(msg.contains(cache.resolve("npm/tiny-pkg-1.0.0.tgz").toString()), msg);
    }

    @Test
    void explainsAFailingNpmWithItsOutput() {
        final ModelUnavailableException e = assertThrows(
                ModelUnavailableException.class, () -> store("fail").resolve(recipe));
        final String msg = e.getMessage();
        assertTrue(msg.contains("failed with exit code 1"), msg);
        assertTrue(msg.contains("npm config get registry"), msg);
        assertTrue(msg.contains("npm error code ENOTFOUND"), msg);
    }

    @Test
    void usesAManuallyPlacedTarballWithoutNpm() throws Exception {
        Files.createDirectories(cache.resolve("npm"));
        Files.copy(packageTgz, cache.resolve("npm/tiny-pkg-1.0.0.tgz"));
        final ModelStore offline =
                new ModelStore(cache, List.of(tmp.resolve("none").toString()), Duration.ofSeconds(5));
        assertTrue(Files.isRegularFile(offline.resolve(recipe)));
    }

    @Test
    void namesTarballsLikeNpm() {
        assertEquals("vladmandic-human-3.3.6.tgz", BuiltinModels.MNV3_CENTERNET.tarballFileName());
        assertEquals(
                "https://registry.npmjs.org/@vladmandic/human/-/human-3.3.6.tgz",
                BuiltinModels.MNV3_CENTERNET.registryUrl());
        assertEquals("nsfwjs-4.4.0.tgz", BuiltinModels.MNV2_NSFWJS.tarballFileName());
        assertEquals(BuiltinModels.MNV2_NSFWJS, BuiltinModels.byId("MNV2-NSFWJS"));
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BuiltinModels.byId("clip"));
        assertTrue(e.getMessage().contains("mnv2-nsfwjs, mnv3-centernet"), e.getMessage());
    }

    @Test
    void takesTheCacheDirectoryFromTheSystemProperty() {
        final String old = System.getProperty(ModelStore.CACHE_PROPERTY);
        try {
            System.setProperty(ModelStore.CACHE_PROPERTY, tmp.toString());
            assertEquals(tmp, ModelStore.defaultCacheDir());
            assertEquals(tmp.toAbsolutePath(), ModelStore.fromEnvironment().cacheDir());
        } finally {
            if (old == null) {
                System.clearProperty(ModelStore.CACHE_PROPERTY);
            } else {
                System.setProperty(ModelStore.CACHE_PROPERTY, old);
            }
        }
    }
}
