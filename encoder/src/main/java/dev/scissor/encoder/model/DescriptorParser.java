package dev.scissor.encoder.model;

import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.EncoderModelDescriptor.OutputLayout;
import dev.scissor.encoder.model.EncoderModelDescriptor.Resample;
import dev.scissor.encoder.model.EncoderModelDescriptor.TokenDtype;
import dev.scissor.encoder.tfjs.JsLiteral;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads encoder descriptors from their key/value and JSON forms ({@link EncoderModelDescriptor}). */
final class DescriptorParser {

    private DescriptorParser() {}

    static EncoderModelDescriptor fromJson(final String json, final Path baseDir) {
        final Object parsed = JsLiteral.parse(json);
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("encoder descriptor JSON must be an object");
        }
        final Map<String, String> flat = new LinkedHashMap<>();
        flatten("", (Map<?, ?>) parsed, flat);
        return fromMap(flat, baseDir);
    }

    static EncoderModelDescriptor fromMap(final Map<String, String> m, final Path baseDir) {
        final Map<String, String> v = new LinkedHashMap<>();
        m.forEach((k, val) -> v.put(k.strip(), val == null ? null : val.strip()));
        final List<String> known = List.of(
                "id",
                "model",
                "input.name",
                "input.height",
                "input.width",
                "input.channelOrder",
                "input.range",
                "input.scale",
                "input.mean",
                "input.std",
                "output.name",
                "output.layout",
                "grid.height",
                "grid.width",
                "token.dim",
                "input.resample",
                "token.dtype",
                "model.dtype",
                "checkpoint");
        for (final String k : v.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("unknown encoder descriptor key '" + k + "'; known: " + known);
            }
        }
        String model = required(v, "model");
        if (!model.startsWith(EncoderModelDescriptor.BUILTIN_PREFIX)
                && !BuiltinModels.isBuiltin(model)
                && baseDir != null) {
            model = baseDir.resolve(model).normalize().toString();
        }
        final float scale;
        if (v.containsKey("input.scale")) {
            scale = parseFloat(v, "input.scale");
        } else {
            final String range = v.getOrDefault("input.range", "0..1");
            if ("0..1".equals(range)) {
                scale = 1f / 255f;
            } else if ("0..255".equals(range)) {
                scale = 1f;
            } else {
                throw new IllegalArgumentException(
                        "input.range must be 0..1 or 0..255 (or give " + "input.scale), got '" + range + "'");
            }
        }
        final Normalization norm = new Normalization(
                scale, floats(v, "input.mean", new float[] {0, 0, 0}), floats(v, "input.std", new float[] {1, 1, 1}));
        return new EncoderModelDescriptor(
                v.getOrDefault("id", "encoder"),
                model,
                v.getOrDefault("input.name", "pixel_values"),
                parseInt(v, "input.height"),
                parseInt(v, "input.width"),
                enumValue(ChannelOrder.class, v.getOrDefault("input.channelOrder", "RGB"), "input.channelOrder"),
                norm,
                required(v, "output.name"),
                enumValue(OutputLayout.class, v.getOrDefault("output.layout", "NCHW"), "output.layout"),
                parseInt(v, "grid.height"),
                parseInt(v, "grid.width"),
                parseInt(v, "token.dim"),
                Resample.parse(v.getOrDefault("input.resample", Resample.BILINEAR.key())),
                v.getOrDefault("model.dtype", "float32"),
                v.get("checkpoint"),
                tokenDtype(v.getOrDefault("token.dtype", "float32")));
    }

    private static void flatten(final String prefix, final Map<?, ?> m, final Map<String, String> out) {
        for (final Map.Entry<?, ?> e : m.entrySet()) {
            final String key = prefix + e.getKey();
            final Object v = e.getValue();
            if (v instanceof Map) {
                flatten(key + ".", (Map<?, ?>) v, out);
            } else if (v instanceof List) {
                final List<String> parts = new ArrayList<>();
                for (final Object o : (List<?>) v) {
                    parts.add(numberText(o));
                }
                out.put(key, String.join(",", parts));
            } else if (v != null) {
                out.put(key, numberText(v));
            }
        }
    }

    private static String numberText(final Object o) {
        if (o instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
            return Long.toString(d.longValue());
        }
        return String.valueOf(o);
    }

    private static TokenDtype tokenDtype(final String s) {
        return switch (s) {
            case "float32" -> TokenDtype.FLOAT32;
            case "float16" -> TokenDtype.FLOAT16;
            default ->
                throw new IllegalArgumentException(
                        "encoder descriptor: 'token.dtype' must be float32 " + "or float16, got '" + s + "'");
        };
    }

    private static String required(final Map<String, String> v, final String key) {
        final String s = v.get(key);
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException("encoder descriptor: '" + key + "' is required");
        }
        return s;
    }

    private static int parseInt(final Map<String, String> v, final String key) {
        final String s = required(v, key);
        try {
            return Integer.parseInt(s);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(
                    "encoder descriptor: '" + key + "' must be an integer, got '" + s + "'", e);
        }
    }

    private static float parseFloat(final Map<String, String> v, final String key) {
        final String s = required(v, key);
        try {
            return Float.parseFloat(s);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(
                    "encoder descriptor: '" + key + "' must be a number, got '" + s + "'", e);
        }
    }

    private static float[] floats(final Map<String, String> v, final String key, final float[] dflt) {
        final String s = v.get(key);
        if (s == null || s.isEmpty()) {
            return dflt;
        }
        final String[] parts = s.split("\\s*,\\s*");
        if (parts.length != 3) {
            throw new IllegalArgumentException(
                    "encoder descriptor: '" + key + "' needs 3 comma-separated values, got '" + s + "'");
        }
        final float[] out = new float[3];
        for (int k = 0; k < 3; k++) {
            try {
                out[k] = Float.parseFloat(parts[k]);
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException(
                        "encoder descriptor: '" + key + "' has a non-numeric value '" + parts[k] + "'", e);
            }
        }
        return out;
    }

    private static <E extends Enum<E>> E enumValue(final Class<E> type, final String s, final String key) {
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "encoder descriptor: '" + key + "' must be one of " + Arrays.toString(type.getEnumConstants())
                            + ", got '" + s + "'",
                    e);
        }
    }
}
