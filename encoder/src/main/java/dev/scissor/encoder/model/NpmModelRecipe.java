package dev.scissor.encoder.model;

import dev.scissor.encoder.tfjs.ConversionSpec;
import java.util.List;
import java.util.Objects;

/**
 * How to obtain one encoder model reproducibly: which npm package to {@code npm pack}, the
 * integrity it must have, which files to take from the tarball, and how to convert them to ONNX.
 *
 * <p>The built-in recipes are in {@link BuiltinModels}; tests may build their own.
 *
 * @param id short model id, e.g. {@code mnv2-nsfwjs}
 * @param npmPackage npm package name, e.g. {@code nsfwjs} or {@code @vladmandic/human}
 * @param version exact package version
 * @param integrity the expected npm {@code dist.integrity} ({@code sha512-<base64>})
 * @param modelEntry tarball entry of the TFJS model file ({@code model.json} or {@code
 *     model.min.js})
 * @param entries every tarball entry the conversion reads, including {@code modelEntry}
 * @param licenseEntry tarball entry of the package licence, copied next to the model
 * @param spec the conversion spec
 * @param onnxFileName the cached ONNX file name
 * @param onnxSha256 expected sha256 (hex) of the converted file, or null if not recorded
 */
public record NpmModelRecipe(
        String id,
        String npmPackage,
        String version,
        String integrity,
        String modelEntry,
        List<String> entries,
        String licenseEntry,
        ConversionSpec spec,
        String onnxFileName,
        String onnxSha256) {

    // Validates and copies.
    public NpmModelRecipe {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(npmPackage, "npmPackage");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(integrity, "integrity");
        Objects.requireNonNull(modelEntry, "modelEntry");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(onnxFileName, "onnxFileName");
        if (!integrity.startsWith("sha512-")) {
            throw new IllegalArgumentException("integrity must be an npm sha512-… string: " + integrity);
        }
        entries = List.copyOf(entries);
        if (!entries.contains(modelEntry)) {
            throw new IllegalArgumentException("entries must include the model entry " + modelEntry);
        }
    }

    /**
     * The {@code name@version} spec given to {@code npm pack}.
     *
     * @return e.g. {@code nsfwjs@4.4.0}
     */
    public String packageSpec() {
        return npmPackage + "@" + version;
    }

    /**
     * The file name {@code npm pack} writes: scope and name joined by {@code -}, without {@code @}.
     *
     * @return e.g. {@code vladmandic-human-3.3.6.tgz}
     */
    public String tarballFileName() {
        final String base = npmPackage.startsWith("@") ? npmPackage.substring(1).replace('/', '-') : npmPackage;
        return base + "-" + version + ".tgz";
    }

    /**
     * The registry URL of the tarball (for manual download instructions).
     *
     * @return e.g. {@code https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz}
     */
    public String registryUrl() {
        final String unscoped =
                npmPackage.contains("/") ? npmPackage.substring(npmPackage.indexOf('/') + 1) : npmPackage;
        return "https://registry.npmjs.org/" + npmPackage + "/-/" + unscoped + "-" + version + ".tgz";
    }
}
