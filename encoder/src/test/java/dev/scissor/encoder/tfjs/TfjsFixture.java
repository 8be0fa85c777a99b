package dev.scissor.encoder.tfjs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds small TFJS graph models in memory (model JSON + one weight shard) for converter tests.
 * Weights can be stored as float32, uint8- or uint16-quantised, float16 or int32.
 */
final class TfjsFixture {

    enum Storage {
        FLOAT32,
        UINT8,
        UINT16,
        FLOAT16,
        INT32
    }

    private final List<Map<String, Object>> nodes = new ArrayList<>();
    private final List<Map<String, Object>> weightSpecs = new ArrayList<>();
    private final ByteArrayOutputStream shard = new ByteArrayOutputStream();
    private final Random random = new Random(7);

    TfjsFixture placeholder(final String name, final int... nhwc) {
        final List<Object> dims = new ArrayList<>();
        for (final int d : nhwc) {
            dims.add(Map.of("size", Integer.toString(d)));
        }
        return node(
                name,
                "Placeholder",
                List.of(),
                Map.of("shape", Map.of("shape", Map.of("dim", dims)), "dtype", Map.of("type", "DT_FLOAT")));
    }

    /** Adds a Const node with random (or given) values. */
    TfjsFixture constant(final String name, final Storage storage, final int[] shape, final float... values) {
        int n = 1;
        for (final int d : shape) {
            n *= d;
        }
        final float[] v = values.length > 0 ? values : new float[n];
        if (values.length == 0) {
            for (int i = 0; i < n; i++) {
                v[i] = (float) (random.nextGaussian() * 0.5);
            }
        }
        if (v.length != n) {
            throw new IllegalArgumentException(name + ": wrong value count");
        }
        node(name, "Const", List.of(), Map.of("dtype", Map.of("type", "DT_FLOAT")));
        final Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        final List<Object> shapeList = new ArrayList<>();
        for (final int d : shape) {
            shapeList.add(d);
        }
        spec.put("shape", shapeList);
        spec.put("dtype", storage == Storage.INT32 ? "int32" : "float32");
        switch (storage) {
            case FLOAT32 -> {
                final ByteBuffer bb = le(4 * n);
                for (final float f : v) {
                    bb.putFloat(f);
                }
                shard.writeBytes(bb.array());
            }
            case INT32 -> {
                final ByteBuffer bb = le(4 * n);
                for (final float f : v) {
                    bb.putInt(Math.round(f));
                }
                shard.writeBytes(bb.array());
            }
            case FLOAT16 -> {
                spec.put("quantization", Map.of("dtype", "float16"));
                final ByteBuffer bb = le(2 * n);
                for (final float f : v) {
                    bb.putShort(floatToHalf(f));
                }
                shard.writeBytes(bb.array());
            }
            case UINT8, UINT16 -> {
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (final float f : v) {
                    min = Math.min(min, f);
                    max = Math.max(max, f);
                }
                final int levels = storage == Storage.UINT8 ? 255 : 65535;
                final double scale = max > min ? (max - min) / (double) levels : 1.0;
                spec.put(
                        "quantization",
                        Map.of(
                                "dtype",
                                storage == Storage.UINT8 ? "uint8" : "uint16",
                                "min",
                                (double) min,
                                "scale",
                                scale));
                final ByteBuffer bb = le((storage == Storage.UINT8 ? 1 : 2) * n);
                for (final float f : v) {
                    final int q = (int) Math.round((f - min) / scale);
                    if (storage == Storage.UINT8) {
                        bb.put((byte) q);
                    } else {
                        bb.putShort((short) q);
                    }
                }
                shard.writeBytes(bb.array());
            }
            default -> throw new IllegalStateException();
        }
        weightSpecs.add(spec);
        return this;
    }

    TfjsFixture op(final String name, final String op, final List<String> inputs) {
        return node(name, op, inputs, Map.of("T", Map.of("type", "DT_FLOAT")));
    }

    TfjsFixture op(final String name, final String op, final List<String> inputs, final Map<String, Object> attr) {
        return node(name, op, inputs, attr);
    }

    static Map<String, Object> ints(final int... v) {
        final List<Object> l = new ArrayList<>();
        for (final int x : v) {
            l.add(Integer.toString(x));
        }
        return Map.of("list", Map.of("i", l));
    }

    static Map<String, Object> str(final String s) {
        return Map.of("s", b64(s));
    }

    static Map<String, Object> strs(final String... s) {
        final List<Object> l = new ArrayList<>();
        for (final String x : s) {
            l.add(b64(x));
        }
        return Map.of("list", Map.of("s", l));
    }

    static Map<String, Object> convAttr(final int stride, final String padding, final String... fused) {
        final Map<String, Object> a = new LinkedHashMap<>();
        a.put("strides", ints(1, stride, stride, 1));
        a.put("padding", str(padding));
        a.put("data_format", str("NHWC"));
        a.put("dilations", ints(1, 1, 1, 1));
        if (fused.length > 0) {
            a.put("fused_ops", strs(fused));
        }
        return a;
    }

    private TfjsFixture node(
            final String name, final String op, final List<String> inputs, final Map<String, Object> attr) {
        final Map<String, Object> n = new LinkedHashMap<>();
        n.put("name", name);
        n.put("op", op);
        if (!inputs.isEmpty()) {
            n.put("input", inputs);
        }
        n.put("attr", attr);
        nodes.add(n);
        return this;
    }

    /** The model JSON text. */
    String modelJson(final String shardPath) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "graph-model");
        m.put("generatedBy", "test");
        m.put("modelTopology", Map.of("node", nodes));
        m.put("weightsManifest", List.of(Map.of("paths", List.of(shardPath), "weights", weightSpecs)));
        return toJson(m);
    }

    byte[] shardBytes() {
        return shard.toByteArray();
    }

    /** Files of the standard packaging: model.json + group1-shard1of1.bin. */
    Map<String, byte[]> standardFiles() {
        final Map<String, byte[]> f = new LinkedHashMap<>();
        f.put("model.json", modelJson("group1-shard1of1.bin").getBytes(StandardCharsets.UTF_8));
        f.put("group1-shard1of1.bin", shardBytes());
        return f;
    }

    /** Files of the nsfwjs packaging: model.min.js + group1-shard1of1.min.js (base64 modules). */
    Map<String, byte[]> jsModuleFiles() {
        final Map<String, byte[]> f = new LinkedHashMap<>();
        final String wrapper = "!function(t){module.exports=t()}(function(){return function t(e,a,l)"
                + "{return 0}({1:[function(t,e,a){e.exports=%s},{}]},{},[1])(1)});";
        f.put(
                "model.min.js",
                String.format(wrapper, modelJson("group1-shard1of1")).getBytes(StandardCharsets.UTF_8));
        f.put(
                "group1-shard1of1.min.js",
                String.format(wrapper, "\"" + Base64.getEncoder().encodeToString(shardBytes()) + "\"")
                        .getBytes(StandardCharsets.UTF_8));
        return f;
    }

    TfjsGraphModel load() throws Exception {
        final Map<String, byte[]> f = standardFiles();
        return TfjsGraphModel.load("model.json", f::get);
    }

    private static ByteBuffer le(final int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String b64(final String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static short floatToHalf(final float f) {
        final int bits = Float.floatToIntBits(f);
        final int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if (exp <= 0) {
            if (exp < -10) {
                return (short) sign;
            }
            mant = (mant | 0x800000) >> (1 - exp);
            return (short) (sign | ((mant + 0x1000) >> 13));
        }
        if (exp >= 31) {
            return (short) (sign | 0x7c00);
        }
        final int h = sign | (exp << 10) | (mant >> 13);
        return (short) (h + ((mant >> 12) & 1)); // round half up on the dropped bit
    }

    static String toJson(final Object o) {
        final StringBuilder sb = new StringBuilder();
        write(sb, o);
        return sb.toString();
    }

    private static void write(final StringBuilder sb, final Object o) {
        if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (final Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ",");
                first = false;
                write(sb, e.getKey().toString());
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (o instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ",");
                write(sb, l.get(i));
            }
            sb.append(']');
        } else if (o instanceof String s) {
            sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else {
            sb.append(o);
        }
    }
}
