package dev.scissor.encoder.tfjs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TFJS graph model ({@code format: graph-model}) loaded into memory: its nodes in topological
 * order and its decoded weights (ENCODERS.md §5.1).
 *
 * <p>Two packagings are understood:
 *
 * <ul>
 *   <li>the standard one: {@code model.json} plus binary shards named in {@code
 *       weightsManifest[].paths}, relative to the JSON file;
 *   <li>the nsfwjs one: {@code model.min.js}, a JS module whose export is the model JSON, plus one
 *       {@code <path>.min.js} module per manifest path whose export is the base64 shard.
 * </ul>
 *
 * <p>Weights are decoded as float32 ({@code w = q * scale + min} for uint8/uint16 quantisation,
 * IEEE half for float16) or int32.
 */
public final class TfjsGraphModel {

    private static final Logger LOG = LoggerFactory.getLogger(TfjsGraphModel.class);

    /** Reads a file of the model package by its path relative to the model file's directory. */
    @FunctionalInterface
    public interface FileSource {
        /**
         * Reads one file.
         *
         * @param relativePath path relative to the directory of the model file
         * @return the file bytes
         * @throws IOException if it cannot be read or does not exist
         */
        byte[] read(String relativePath) throws IOException;
    }

    private final List<TfNode> nodes;
    private final Map<String, TfjsTensor> weights;
    private final Map<String, Object> json;

    private TfjsGraphModel(
            final Map<String, Object> json, final List<TfNode> nodes, final Map<String, TfjsTensor> weights) {
        this.json = json;
        this.nodes = List.copyOf(nodes);
        this.weights = Collections.unmodifiableMap(weights);
    }

    /**
     * Loads a model from a directory (containing {@code model.json} or {@code model.min.js}) or
     * from the model file itself.
     *
     * @param path directory or model file
     * @return the loaded model
     * @throws IOException if files are missing or unreadable
     */
    public static TfjsGraphModel load(final Path path) throws IOException {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = path.resolve("model.json");
            if (!Files.exists(file)) {
                file = path.resolve("model.min.js");
            }
            if (!Files.exists(file)) {
                throw new IOException("no model.json or model.min.js in " + path);
            }
        }
        final Path dir = file.toAbsolutePath().getParent();
        return load(file.getFileName().toString(), rel -> Files.readAllBytes(dir.resolve(rel)));
    }

    /**
     * Loads a model whose files come from {@code files} (for example entries of a tarball).
     *
     * @param modelFile name of the model file ({@code model.json} or {@code model.min.js}),
     *     relative to the source's root
     * @param files reads the model file and its shards
     * @return the loaded model
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if the content is not a TFJS graph model
     */
    public static TfjsGraphModel load(final String modelFile, final FileSource files) throws IOException {
        final boolean jsModules = modelFile.endsWith(".js");
        final String text = new String(files.read(modelFile), StandardCharsets.UTF_8);
        final Object parsed = jsModules ? JsLiteral.parseModuleExport(text) : JsLiteral.parse(text);
        Map<String, Object> json = TfNode.asMap(parsed);
        if (json != null && json.containsKey("default") && !json.containsKey("modelTopology")) {
            json = TfNode.asMap(json.get("default"));
        }
        if (json == null || TfNode.asMap(json.get("modelTopology")) == null) {
            throw new IllegalArgumentException(modelFile + " is not a TFJS model (no modelTopology)");
        }
        final Object format = json.get("format");
        if (format != null && !"graph-model".equals(format)) {
            throw new IllegalArgumentException(
                    modelFile + " has format '" + format + "'; only TFJS graph-model is supported");
        }
        final String prefix = modelFile.contains("/") ? modelFile.substring(0, modelFile.lastIndexOf('/') + 1) : "";
        final List<TfNode> nodes = parseNodes(json);
        final List<Map<String, Object>> groups = listOfMaps(json.get("weightsManifest"));
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final List<Map<String, Object>> specs = new ArrayList<>();
        for (final Map<String, Object> group : groups) {
            for (final Object p : (List<?>) group.get("paths")) {
                final String rel = prefix + p;
                final byte[] shard;
                if (jsModules) {
                    final String js = new String(files.read(rel + ".min.js"), StandardCharsets.UTF_8);
                    final Object b64 = JsLiteral.parseModuleExport(js);
                    if (!(b64 instanceof String)) {
                        throw new IllegalArgumentException(rel + ".min.js does not export a base64 string");
                    }
                    shard = Base64.getDecoder().decode((String) b64);
                } else {
                    shard = files.read(rel);
                }
                all.write(shard, 0, shard.length);
            }
            specs.addAll(listOfMaps(group.get("weights")));
        }
        final Map<String, TfjsTensor> weights = decodeWeights(specs, all.toByteArray());
        return new TfjsGraphModel(json, nodes, weights);
    }

    private static List<TfNode> parseNodes(final Map<String, Object> json) {
        final Map<String, Object> topo = TfNode.asMap(json.get("modelTopology"));
        final List<TfNode> out = new ArrayList<>();
        for (final Map<String, Object> n : listOfMaps(topo.get("node"))) {
            final List<String> inputs = new ArrayList<>();
            if (n.get("input") instanceof List) {
                for (final Object i : (List<?>) n.get("input")) {
                    inputs.add((String) i);
                }
            }
            out.add(new TfNode((String) n.get("name"), (String) n.get("op"), inputs, TfNode.asMap(n.get("attr"))));
        }
        return out;
    }

    /**
     * Decodes the concatenated weight buffer according to the manifest entries (ENCODERS.md §5.1).
     *
     * @param specs manifest weight entries in order
     * @param buf concatenated shard bytes
     * @return weights by name, in manifest order
     */
    static Map<String, TfjsTensor> decodeWeights(final List<Map<String, Object>> specs, final byte[] buf) {
        final ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        final Map<String, TfjsTensor> out = new LinkedHashMap<>();
        for (final Map<String, Object> w : specs) {
            final String name = (String) w.get("name");
            final List<?> shapeList = (List<?>) w.get("shape");
            final int[] shape = new int[shapeList.size()];
            for (int k = 0; k < shape.length; k++) {
                shape[k] = Math.toIntExact(TfNode.toLong(shapeList.get(k)));
            }
            final int n = Math.toIntExact(TfjsTensor.size(shape));
            final String dtype = Objects.toString(w.get("dtype"), "float32");
            final Map<String, Object> q = TfNode.asMap(w.get("quantization"));
            final TfjsTensor t;
            if (q != null) {
                final String qd = (String) q.get("dtype");
                final float[] f = new float[n];
                if ("float16".equals(qd)) {
                    for (int k = 0; k < n; k++) {
                        f[k] = halfToFloat(bb.getShort());
                    }
                } else if ("uint8".equals(qd) || "uint16".equals(qd)) {
                    final double scale = ((Number) q.get("scale")).doubleValue();
                    final double min = ((Number) q.get("min")).doubleValue();
                    final boolean u8 = "uint8".equals(qd);
                    for (int k = 0; k < n; k++) {
                        final int v = u8 ? bb.get() & 0xff : bb.getShort() & 0xffff;
                        f[k] = (float) (v * scale + min);
                    }
                } else {
                    throw new IllegalArgumentException(name + ": unsupported quantization dtype " + qd);
                }
                if ("int32".equals(dtype)) {
                    final int[] iv = new int[n];
                    for (int k = 0; k < n; k++) {
                        iv[k] = Math.round(f[k]);
                    }
                    t = new TfjsTensor(name, shape, null, iv);
                } else {
                    t = new TfjsTensor(name, shape, f, null);
                }
            } else if ("float32".equals(dtype)) {
                final float[] f = new float[n];
                bb.asFloatBuffer().get(f);
                bb.position(bb.position() + 4 * n);
                t = new TfjsTensor(name, shape, f, null);
            } else if ("int32".equals(dtype)) {
                final int[] iv = new int[n];
                bb.asIntBuffer().get(iv);
                bb.position(bb.position() + 4 * n);
                t = new TfjsTensor(name, shape, null, iv);
            } else {
                throw new IllegalArgumentException(name + ": unsupported weight dtype " + dtype);
            }
            out.put(name, t);
        }
        if (bb.hasRemaining()) {
            LOG.warn("TFJS weights: {} of {} bytes were not consumed by the manifest", bb.remaining(), buf.length);
        }
        return out;
    }

    /**
     * Decodes an IEEE 754 half-precision value.
     *
     * @param h the 16 bits
     * @return the float value
     */
    static float halfToFloat(final short h) {
        final int bits = h & 0xffff;
        final int sign = (bits & 0x8000) << 16;
        final int exp = (bits >>> 10) & 0x1f;
        final int mant = bits & 0x3ff;
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal: mant * 2^-24
            final float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listOfMaps(final Object o) {
        if (!(o instanceof List)) {
            throw new IllegalArgumentException("expected a list, got " + o);
        }
        return (List<Map<String, Object>>) o;
    }

    /**
     * The graph nodes in the stored (topological) order.
     *
     * @return the nodes
     */
    public List<TfNode> nodes() {
        return nodes;
    }

    /**
     * The decoded weights by name, in manifest order.
     *
     * @return the weights
     */
    public Map<String, TfjsTensor> weights() {
        return weights;
    }

    /**
     * A top-level field of the model JSON, e.g. {@code convertedBy}.
     *
     * @param key field name
     * @return the value, or null
     */
    public Object field(final String key) {
        return json.get(key);
    }
}
