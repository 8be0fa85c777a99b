package dev.scissor.encoder.model;

import dev.scissor.encoder.tfjs.ConversionSpec;
import dev.scissor.encoder.tfjs.ConversionSpec.Output;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The encoder models the project knows how to obtain and convert (ENCODERS.md §3, §4).
 *
 * <ul>
 *   <li>{@link #MNV2_NSFWJS} ({@code mnv2-nsfwjs}, the default): MobileNetV2-1.4/224 from {@code
 *       nsfwjs@4.4.0}. Input {@code pixel_values [N,3,224,224]} RGB in [0,1]; outputs {@code probs
 *       [N,5]}, {@code feat_7x7 [N,1792,7,7]}, {@code feat_14x14 [N,136,14,14]}, {@code
 *       feat_14x14_wide [N,816,14,14]}, {@code pooled [N,1792]}.
 *   <li>{@link #MNV3_CENTERNET} ({@code mnv3-centernet}): the MobileNetV3-Large-0.75 backbone of
 *       the CenterNet detector in {@code @vladmandic/human@3.3.6}. Input {@code pixel_values
 *       [N,3,H,W]} RGB in [0,1] with H, W multiples of 32; outputs {@code feat_s32}, {@code
 *       feat_s16}, {@code feat_s8} (strides 32, 16, 8; 120, 88, 32 channels).
 * </ul>
 *
 * <p>Both conversions are deterministic and byte-identical to the project's reference files; the
 * recorded sha256 digests are checked when a model is converted and when a cached file is reused.
 */
public final class BuiltinModels {

    private static final String P = "StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/"
            + "StatefulPartitionedCall/StatefulPartitionedCall/predict/";
    private static final String NSFW_DIR = "package/dist/models/mobilenet_v2_mid/";

    /** MobileNetV2-1.4 from {@code nsfwjs@4.4.0} (the default encoder). */
    public static final NpmModelRecipe MNV2_NSFWJS = new NpmModelRecipe(
            "mnv2-nsfwjs",
            "nsfwjs",
            "4.4.0",
            "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==",
            NSFW_DIR + "model.min.js",
            List.of(
                    NSFW_DIR + "model.min.js",
                    NSFW_DIR + "group1-shard1of2.min.js",
                    NSFW_DIR + "group1-shard2of2.min.js"),
            "package/LICENSE",
            ConversionSpec.withProbs(List.of(
                    new Output(P + "MobilenetV2/Conv_1/Relu6", "feat_7x7"),
                    new Output(P + "MobilenetV2/expanded_conv_12/add", "feat_14x14"),
                    new Output(P + "MobilenetV2/expanded_conv_13/expand/Relu6", "feat_14x14_wide"),
                    new Output(P + "feature_vector/SpatialSqueeze", "pooled"))),
            "mnv2_140_nsfwjs.onnx",
            "335037ba2d065fcbf8b621980ddcd9aedb066c2997a874f3bf568ba1c1f849df");

    /** MobileNetV3-Large-0.75 CenterNet backbone from {@code @vladmandic/human@3.3.6}. */
    public static final NpmModelRecipe MNV3_CENTERNET = new NpmModelRecipe(
            "mnv3-centernet",
            "@vladmandic/human",
            "3.3.6",
            "sha512-Nr5mPfq1gQ+uKeXY5uM3Fj8UxvF5CEh2s6txM5wRThqaW0mF9huooOuZSrT8hhGho0hGaXLFdAwfD/2+teCv6A==",
            "package/models/centernet.json",
            List.of("package/models/centernet.json", "package/models/centernet.bin"),
            "package/LICENSE",
            ConversionSpec.backbone(
                    List.of(
                            new Output("tower_0/MobilenetV3/expanded_conv_14/add", "feat_s32"),
                            new Output("tower_0/MobilenetV3/expanded_conv_11/add", "feat_s16"),
                            new Output("tower_0/MobilenetV3/expanded_conv_5/add", "feat_s8")),
                    true,
                    OptionalDouble.of(255)),
            "centernet_mnv3_backbone.onnx",
            "e73100ca7d8abb87b41648fd22294b04bd69481d9fef877d6dc8c183a484f5a7");

    private static final List<NpmModelRecipe> ALL = List.of(MNV2_NSFWJS, MNV3_CENTERNET);

    private BuiltinModels() {}

    /**
     * All built-in recipes.
     *
     * @return the recipes, default first
     */
    public static List<NpmModelRecipe> all() {
        return ALL;
    }

    /**
     * Whether {@code id} names a built-in model.
     *
     * @param id a model id
     * @return true if built in
     */
    public static boolean isBuiltin(final String id) {
        return ALL.stream().anyMatch(r -> r.id().equals(id.toLowerCase(Locale.ROOT)));
    }

    /**
     * Looks up a built-in recipe.
     *
     * @param id the model id, e.g. {@code mnv2-nsfwjs}
     * @return the recipe
     * @throws IllegalArgumentException if unknown, listing the known ids
     */
    public static NpmModelRecipe byId(final String id) {
        for (final NpmModelRecipe r : ALL) {
            if (r.id().equals(id.toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown built-in model '" + id + "'; known: "
                + ALL.stream().map(NpmModelRecipe::id).collect(Collectors.joining(", ")));
    }
}
