package dev.scissor.encoder.tfjs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One node of a TFJS graph model ({@code modelTopology.node[i]}, a TensorFlow {@code NodeDef} in
 * JSON form), with typed access to its attributes.
 *
 * @param name the node name (also the name of its first output tensor)
 * @param op the TensorFlow op type, e.g. {@code _FusedConv2D}
 * @param inputs input tensor names as stored (may carry {@code :k} suffixes or a {@code ^}
 *     control prefix)
 * @param attr the raw attribute map ({@code AttrValue} objects as parsed JSON)
 */
public record TfNode(String name, String op, List<String> inputs, Map<String, Object> attr) {

    // Canonical constructor; copies the input list.
    public TfNode {
        inputs = List.copyOf(inputs);
        attr = attr == null ? Map.of() : attr;
    }

    /**
     * The data inputs with {@code :k} output suffixes stripped; control inputs ({@code ^name}) are
     * dropped.
     *
     * @return data input node names, in order
     */
    public List<String> dataInputs() {
        final List<String> out = new ArrayList<>();
        for (final String in : inputs) {
            if (!in.startsWith("^")) {
                out.add(stripSuffix(in));
            }
        }
        return out;
    }

    /**
     * Every input node name (data and control) with suffix and prefix removed.
     *
     * @return all input node names
     */
    public List<String> allInputNodes() {
        final List<String> out = new ArrayList<>();
        for (final String in : inputs) {
            out.add(stripSuffix(in.startsWith("^") ? in.substring(1) : in));
        }
        return out;
    }

    static String stripSuffix(final String tensor) {
        final int colon = tensor.lastIndexOf(':');
        if (colon > 0 && tensor.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            return tensor.substring(0, colon);
        }
        return tensor;
    }

    /**
     * Whether the attribute is present.
     *
     * @param key attribute name
     * @return true if present
     */
    public boolean has(final String key) {
        return attr.containsKey(key);
    }

    /**
     * An int-list attribute ({@code {list: {i: ["1","2"]}}}).
     *
     * @param key attribute name
     * @param dflt value if absent
     * @return the values
     */
    public long[] ints(final String key, final long[] dflt) {
        final Map<String, Object> a = attrMap(key);
        if (a == null) {
            return dflt;
        }
        final Map<String, Object> list = asMap(a.get("list"));
        if (list == null || !(list.get("i") instanceof List)) {
            return dflt == null ? new long[0] : dflt;
        }
        final List<?> is = (List<?>) list.get("i");
        final long[] out = new long[is.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = toLong(is.get(k));
        }
        return out;
    }

    /**
     * A string attribute ({@code {s: base64}}), decoded from base64 as UTF-8.
     *
     * @param key attribute name
     * @param dflt value if absent
     * @return the decoded string
     */
    public String string(final String key, final String dflt) {
        final Map<String, Object> a = attrMap(key);
        if (a == null || !(a.get("s") instanceof String)) {
            return dflt;
        }
        return decodeB64((String) a.get("s"));
    }

    /**
     * A string-list attribute ({@code {list: {s: [base64, ...]}}}), each decoded.
     *
     * @param key attribute name
     * @return decoded strings (empty if absent)
     */
    public List<String> strings(final String key) {
        final Map<String, Object> a = attrMap(key);
        final List<String> out = new ArrayList<>();
        if (a == null) {
            return out;
        }
        final Map<String, Object> list = asMap(a.get("list"));
        if (list != null && list.get("s") instanceof List) {
            for (final Object o : (List<?>) list.get("s")) {
                out.add(decodeB64((String) o));
            }
        }
        return out;
    }

    /**
     * A bool attribute ({@code {b: true}}).
     *
     * @param key attribute name
     * @param dflt value if absent
     * @return the value
     */
    public boolean bool(final String key, final boolean dflt) {
        final Map<String, Object> a = attrMap(key);
        if (a == null || !(a.get("b") instanceof Boolean)) {
            return dflt;
        }
        return (Boolean) a.get("b");
    }

    /**
     * A shape attribute ({@code {shape: {dim: [{size: "-1"}, ...]}}}), unknown dims as -1.
     *
     * @param key attribute name
     * @return the dims, or null if absent or of unknown rank
     */
    public long[] shape(final String key) {
        final Map<String, Object> a = attrMap(key);
        if (a == null) {
            return null;
        }
        final Map<String, Object> shape = asMap(a.get("shape"));
        if (shape == null || !(shape.get("dim") instanceof List)) {
            return null;
        }
        final List<?> dims = (List<?>) shape.get("dim");
        final long[] out = new long[dims.size()];
        for (int k = 0; k < out.length; k++) {
            final Map<String, Object> d = asMap(dims.get(k));
            out[k] = d == null || d.get("size") == null ? -1 : toLong(d.get("size"));
        }
        return out;
    }

    private Map<String, Object> attrMap(final String key) {
        return asMap(attr.get(key));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(final Object o) {
        return o instanceof Map ? (Map<String, Object>) o : null;
    }

    static long toLong(final Object o) {
        if (o instanceof Number) {
            return ((Number) o).longValue();
        }
        return Long.parseLong(o.toString());
    }

    private static String decodeB64(final String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }
}
