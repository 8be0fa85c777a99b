package dev.scissor.encoder.tfjs;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts a {@link TfjsGraphModel} into an ONNX model (IR version 8, opset 13), following the op
 * mapping of ENCODERS.md §5.3 and the naming conventions of §5.4, so that for the nsfwjs
 * MobileNetV2 the output is byte-identical to the project's reference file.
 *
 * <p>The TF graph is NHWC; the ONNX graph is NCHW throughout: the input is declared as {@code
 * [N,C,H,W]}, convolution weights are transposed to OIHW, and per-channel constants of
 * element-wise ops are reshaped to {@code [C,1,1]}.
 *
 * <p>Supported ops: {@code Placeholder}, {@code Const}, {@code Identity}, {@code Mul}, {@code
 * Sub}, {@code Add}, {@code AddV2}, {@code Relu}, {@code Relu6}, {@code Sigmoid}, {@code
 * Conv2D}, {@code _FusedConv2D}, {@code DepthwiseConv2dNative}, {@code
 * FusedDepthwiseConv2dNative}, {@code AvgPool}, {@code Mean} (spatial, keep_dims), {@code
 * Squeeze}, {@code _FusedMatMul} and {@code Softmax}. Anything else on the path to a requested
 * output is an error naming the op and node. Only data inputs are followed when selecting nodes.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * TfjsGraphModel tf = TfjsGraphModel.load(Path.of("package/dist/models/mobilenet_v2_mid"));
 * ModelProto onnx = TfjsToOnnxConverter.convert(tf, ConversionSpec.withProbs(List.of(
 *     new ConversionSpec.Output(prefix + "MobilenetV2/Conv_1/Relu6", "feat_7x7"))));
 * Files.write(out, onnx.toByteArray());
 * }</pre>
 */
public final class TfjsToOnnxConverter {

    /** ONNX IR version written. */
    public static final long IR_VERSION = 8;
    /** Default-domain opset version written. */
    public static final long OPSET = 13;
    /** Graph name written (the reference converter's). */
    public static final String GRAPH_NAME = "tfjs_converted";
    /** Producer name written (the reference converter's). */
    public static final String PRODUCER = "tfjs2onnx-modelhunt";

    private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

    private final TfjsGraphModel model;
    private final ConversionSpec spec;
    private final Map<String, TfNode> byName = new HashMap<>();
    /** TF node name → ONNX tensor name carrying its (first) output. */
    private final Map<String, String> tensorOf = new HashMap<>();

    private final List<TensorProto> initializers = new ArrayList<>();
    private final List<NodeProto> nodes = new ArrayList<>();
    private int counter;

    private TfjsToOnnxConverter(final TfjsGraphModel model, final ConversionSpec spec) {
        this.model = model;
        this.spec = spec;
        for (final TfNode n : model.nodes()) {
            byName.put(n.name(), n);
        }
    }

    /**
     * Converts a TFJS graph model.
     *
     * @param model the loaded TFJS model
     * @param spec which outputs to produce and how to declare the input
     * @return the ONNX model
     * @throws IllegalArgumentException on unknown tensors or unsupported ops/attributes
     */
    public static ModelProto convert(final TfjsGraphModel model, final ConversionSpec spec) {
        return new TfjsToOnnxConverter(model, spec).run();
    }

    private ModelProto run() {
        final List<TfNode> all = model.nodes();
        if (all.isEmpty()) {
            throw new IllegalArgumentException("TFJS graph has no nodes");
        }
        // Requested tensors: probs (the final node) first, then the pairs in order.
        final List<String> wantedNodes = new ArrayList<>();
        final List<String> outNames = new ArrayList<>();
        if (spec.probsName() != null) {
            wantedNodes.add(all.get(all.size() - 1).name());
            outNames.add(spec.probsName());
        }
        for (final ConversionSpec.Output o : spec.outputs()) {
            final String node = TfNode.stripSuffix(o.tfTensor());
            if (!byName.containsKey(node)) {
                throw new IllegalArgumentException("TF tensor '" + o.tfTensor() + "' is not in the graph");
            }
            wantedNodes.add(node);
            outNames.add(o.onnxName());
        }
        if (new HashSet<>(outNames).size() != outNames.size()) {
            throw new IllegalArgumentException("duplicate ONNX output names: " + outNames);
        }
        final Set<String> needed = collectNeeded(wantedNodes);

        final TfNode placeholder = findPlaceholder(all, needed);
        final TensorProto zero = scalar("c_zero", 0f);
        final TensorProto six = scalar("c_six", 6f);
        initializers.add(zero);
        initializers.add(six);

        for (final TfNode n : all) {
            if (needed.contains(n.name())) {
                convertNode(n);
            }
        }

        final GraphProto.Builder g = GraphProto.newBuilder();
        for (int k = 0; k < wantedNodes.size(); k++) {
            final String src = tensor(wantedNodes.get(k));
            nodes.add(node("Identity", List.of(src), outNames.get(k), List.of()));
        }
        g.addAllNode(nodes);
        g.setName(GRAPH_NAME);
        g.addAllInitializer(initializers);
        g.addInput(inputInfo(placeholder));
        for (final String o : outNames) {
            g.addOutput(ValueInfoProto.newBuilder()
                    .setName(o)
                    .setType(TypeProto.newBuilder()
                            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT))));
        }
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName(PRODUCER)
                .setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .build();
    }

    private Set<String> collectNeeded(final List<String> wanted) {
        final Set<String> needed = new HashSet<>();
        final Deque<String> todo = new ArrayDeque<>(wanted);
        while (!todo.isEmpty()) {
            final String name = todo.pop();
            if (!needed.add(name)) {
                continue;
            }
            final TfNode n = byName.get(name);
            if (n == null) {
                throw new IllegalArgumentException("graph refers to missing node '" + name + "'");
            }
            todo.addAll(n.dataInputs());
        }
        return needed;
    }

    private static TfNode findPlaceholder(final List<TfNode> all, final Set<String> needed) {
        TfNode found = null;
        for (final TfNode n : all) {
            if ("Placeholder".equals(n.op()) && needed.contains(n.name())) {
                if (found != null) {
                    throw new IllegalArgumentException(
                            "more than one graph input is needed: " + found.name() + ", " + n.name());
                }
                found = n;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException("the requested outputs do not depend on any Placeholder");
        }
        return found;
    }

    private ValueInfoProto inputInfo(final TfNode placeholder) {
        final long[] s = placeholder.shape("shape");
        if (s == null || s.length != 4) {
            throw new IllegalArgumentException("placeholder '" + placeholder.name()
                    + "' must have a rank-4 NHWC shape, got " + Arrays.toString(s));
        }
        final TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        shape.addDim(dim(s[3], "C"));
        shape.addDim(spec.dynamicHw() ? dim(-1, "H") : dim(s[1], "H"));
        shape.addDim(spec.dynamicHw() ? dim(-1, "W") : dim(s[2], "W"));
        return ValueInfoProto.newBuilder()
                .setName(spec.inputName())
                .setType(TypeProto.newBuilder()
                        .setTensorType(
                                TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape)))
                .build();
    }

    private static TensorShapeProto.Dimension dim(final long v, final String param) {
        return v > 0
                ? TensorShapeProto.Dimension.newBuilder().setDimValue(v).build()
                : TensorShapeProto.Dimension.newBuilder().setDimParam(param).build();
    }

    private String fresh(final String base) {
        return base + "_" + counter++;
    }

    private String tensor(final String tfNode) {
        final String t = tensorOf.get(tfNode);
        if (t == null) {
            final TfNode n = byName.get(tfNode);
            throw new IllegalArgumentException("tensor of node '" + tfNode + "' (" + (n == null ? "missing" : n.op())
                    + ") is not available as a graph tensor");
        }
        return t;
    }

    /**
     * The ONNX name of a node's own output: the TF name with every character outside
     * {@code [A-Za-z0-9_]} replaced by {@code _}.
     *
     * @param tfName TF node name
     * @return sanitised name
     */
    static String sanitize(final String tfName) {
        return tfName.replaceAll("[^A-Za-z0-9_]", "_");
    }

    private void convertNode(final TfNode n) {
        switch (n.op()) {
            case "Placeholder":
                if (spec.inputScale().isPresent()) {
                    final TensorProto s =
                            scalar("input_scale", (float) spec.inputScale().getAsDouble());
                    initializers.add(s);
                    nodes.add(node("Mul", List.of(spec.inputName(), "input_scale"), "scaled_input", List.of()));
                    tensorOf.put(n.name(), "scaled_input");
                } else {
                    tensorOf.put(n.name(), spec.inputName());
                }
                break;
            case "Const":
                break; // materialised where used
            case "Identity":
                tensorOf.put(n.name(), tensor(single(n)));
                break;
            case "Mul":
            case "Sub":
            case "Add":
            case "AddV2":
                binary(n, "AddV2".equals(n.op()) ? "Add" : n.op());
                break;
            case "Relu6":
                simple(n, "Clip", List.of(tensor(single(n)), "c_zero", "c_six"), List.of());
                break;
            case "Relu":
            case "Sigmoid":
                simple(n, n.op(), List.of(tensor(single(n))), List.of());
                break;
            case "Conv2D":
            case "_FusedConv2D":
                conv(n, false);
                break;
            case "DepthwiseConv2dNative":
            case "FusedDepthwiseConv2dNative":
                conv(n, true);
                break;
            case "AvgPool":
                avgPool(n);
                break;
            case "Mean":
                mean(n);
                break;
            case "Squeeze":
                simple(n, "Flatten", List.of(tensor(single(n))), List.of(intAttr("axis", 1)));
                break;
            case "_FusedMatMul":
                matMul(n);
                break;
            case "Softmax":
                simple(n, "Softmax", List.of(tensor(single(n))), List.of(intAttr("axis", -1)));
                break;
            default:
                throw new IllegalArgumentException("unsupported op '" + n.op() + "' (node '" + n.name() + "')");
        }
    }

    private String single(final TfNode n) {
        final List<String> in = n.dataInputs();
        if (in.isEmpty()) {
            throw new IllegalArgumentException(n.op() + " node '" + n.name() + "' has no input");
        }
        return in.get(0);
    }

    private void simple(
            final TfNode n, final String onnxOp, final List<String> inputs, final List<AttributeProto> attrs) {
        final String out = sanitize(n.name());
        nodes.add(node(onnxOp, inputs, out, attrs));
        tensorOf.put(n.name(), out);
    }

    private void binary(final TfNode n, final String onnxOp) {
        final List<String> ins = new ArrayList<>();
        for (final String in : n.dataInputs()) {
            final TfNode src = byName.get(in);
            if (src != null && "Const".equals(src.op())) {
                final TfjsTensor c = weight(in);
                final float[] v = c.floats();
                if (v == null) {
                    throw new IllegalArgumentException("non-float constant '" + in + "' in " + n.name());
                }
                final String name = fresh("k");
                final long[] dims;
                if (v.length == 1) {
                    dims = new long[0];
                } else if (isChannelVector(c.shape())) {
                    dims = new long[] {v.length, 1, 1};
                } else {
                    throw new IllegalArgumentException("constant '" + in + "' of shape "
                            + Arrays.toString(c.shape()) + " in " + n.name()
                            + " is neither a scalar nor a per-channel vector");
                }
                initializers.add(floatTensor(name, dims, v));
                ins.add(name);
            } else {
                ins.add(tensor(in));
            }
        }
        final String out = sanitize(n.name());
        nodes.add(node(onnxOp, ins, out, List.of()));
        tensorOf.put(n.name(), out);
    }

    private static boolean isChannelVector(final int[] shape) {
        for (int k = 0; k < shape.length - 1; k++) {
            if (shape[k] != 1) {
                return false;
            }
        }
        return shape.length >= 1;
    }

    private void conv(final TfNode n, final boolean depthwise) {
        checkNhwc(n);
        final List<String> in = n.dataInputs();
        final String x = tensor(in.get(0));
        final TfjsTensor w = weight(in.get(1));
        final List<String> fused = n.strings("fused_ops");
        final boolean hasBias = !fused.isEmpty() && "BiasAdd".equals(fused.get(0));
        final List<String> acts = fused.subList(hasBias ? 1 : 0, fused.size());
        if (acts.size() > 1) {
            throw new IllegalArgumentException("more than one fused activation in '" + n.name() + "': " + fused);
        }
        if (!fused.isEmpty() && !hasBias) {
            throw new IllegalArgumentException(
                    "fused ops " + fused + " without BiasAdd in '" + n.name() + "' are not supported");
        }
        final int[] s = w.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("conv weight of '" + n.name() + "' is not rank 4");
        }
        final int kh = s[0];
        final int kw = s[1];
        final int ci = s[2];
        final int co = s[3]; // for depthwise: the channel multiplier
        final String wName = fresh("W");
        final float[] src = w.floats();
        final float[] dst = new float[src.length];
        final long[] dims;
        if (depthwise) {
            // [kh,kw,ci,mult] -> [ci*mult,1,kh,kw], output channel i*mult+m
            for (int y = 0; y < kh; y++) {
                for (int xx = 0; xx < kw; xx++) {
                    for (int i = 0; i < ci; i++) {
                        for (int m = 0; m < co; m++) {
                            dst[((i * co + m) * kh + y) * kw + xx] = src[((y * kw + xx) * ci + i) * co + m];
                        }
                    }
                }
            }
            dims = new long[] {(long) ci * co, 1, kh, kw};
        } else {
            // HWIO -> OIHW
            for (int y = 0; y < kh; y++) {
                for (int xx = 0; xx < kw; xx++) {
                    for (int i = 0; i < ci; i++) {
                        for (int o = 0; o < co; o++) {
                            dst[((o * ci + i) * kh + y) * kw + xx] = src[((y * kw + xx) * ci + i) * co + o];
                        }
                    }
                }
            }
            dims = new long[] {co, ci, kh, kw};
        }
        initializers.add(floatTensor(wName, dims, dst));
        final List<String> convIn = new ArrayList<>(List.of(x, wName));
        if (hasBias) {
            final TfjsTensor b = weight(in.get(2));
            final String bName = fresh("B");
            initializers.add(floatTensor(bName, new long[] {b.size()}, b.floats()));
            convIn.add(bName);
        }
        final String convOut = fresh(depthwise ? "dw" : "conv");
        final List<AttributeProto> attrs = new ArrayList<>();
        attrs.add(intsAttr("kernel_shape", kh, kw));
        final long[] strides = n.ints("strides", new long[] {1, 1, 1, 1});
        attrs.add(intsAttr("strides", strides[1], strides[2]));
        final long[] dil = n.ints("dilations", new long[] {1, 1, 1, 1});
        attrs.add(intsAttr("dilations", dil.length == 4 ? dil[1] : 1, dil.length == 4 ? dil[2] : 1));
        if (depthwise) {
            attrs.add(intAttr("group", ci));
        }
        attrs.add(autoPad(n));
        nodes.add(node("Conv", convIn, convOut, attrs));
        String last = convOut;
        if (!acts.isEmpty()) {
            final String act = acts.get(0);
            final String actOut = fresh("act");
            if ("Relu6".equals(act)) {
                nodes.add(node("Clip", List.of(last, "c_zero", "c_six"), actOut, List.of()));
            } else if ("Relu".equals(act)) {
                nodes.add(node("Relu", List.of(last), actOut, List.of()));
            } else {
                throw new IllegalArgumentException("unsupported fused activation '" + act + "' in '" + n.name() + "'");
            }
            last = actOut;
        }
        final String out = sanitize(n.name());
        nodes.add(node("Identity", List.of(last), out, List.of()));
        tensorOf.put(n.name(), out);
    }

    private void avgPool(final TfNode n) {
        checkNhwc(n);
        final long[] k = n.ints("ksize", null);
        if (k == null || k.length != 4 || k[0] != 1 || k[3] != 1) {
            throw new IllegalArgumentException("AvgPool '" + n.name() + "' needs ksize [1,kh,kw,1]");
        }
        final long[] st = n.ints("strides", new long[] {1, 1, 1, 1});
        simple(
                n,
                "AveragePool",
                List.of(tensor(single(n))),
                List.of(intsAttr("kernel_shape", k[1], k[2]), intsAttr("strides", st[1], st[2]), autoPad(n)));
    }

    private void mean(final TfNode n) {
        final List<String> in = n.dataInputs();
        final TfjsTensor axes = in.size() > 1 ? model.weights().get(in.get(1)) : null;
        final int[] ax = axes == null ? null : axes.ints();
        final boolean keep = n.bool("keep_dims", false);
        if (ax == null || ax.length != 2 || ax[0] != 1 || ax[1] != 2 || !keep) {
            throw new IllegalArgumentException("Mean '" + n.name()
                    + "' is only supported over axes [1,2] with keep_dims (got axes "
                    + (ax == null ? "?" : Arrays.toString(ax)) + ", keep_dims " + keep + ")");
        }
        simple(n, "GlobalAveragePool", List.of(tensor(in.get(0))), List.of());
    }

    private void matMul(final TfNode n) {
        if (n.bool("transpose_a", false) || n.bool("transpose_b", false)) {
            throw new IllegalArgumentException("_FusedMatMul '" + n.name() + "' with transpose");
        }
        final List<String> fused = n.strings("fused_ops");
        if (!fused.equals(List.of("BiasAdd"))) {
            throw new IllegalArgumentException(
                    "_FusedMatMul '" + n.name() + "' with fused ops " + fused + " (only [BiasAdd] is supported)");
        }
        final List<String> in = n.dataInputs();
        final String x = tensor(in.get(0));
        final TfjsTensor w = weight(in.get(1));
        final TfjsTensor b = weight(in.get(2));
        final String wName = fresh("W");
        initializers.add(floatTensor(wName, new long[] {w.shape()[0], w.shape()[1]}, w.floats()));
        final String bName = fresh("B");
        initializers.add(floatTensor(bName, new long[] {b.size()}, b.floats()));
        simple(n, "Gemm", List.of(x, wName, bName), List.of());
    }

    private static void checkNhwc(final TfNode n) {
        final String fmt = n.string("data_format", "NHWC");
        if (!"NHWC".equals(fmt)) {
            throw new IllegalArgumentException(
                    "'" + n.name() + "' has data_format " + fmt + "; only NHWC is supported");
        }
    }

    private static AttributeProto autoPad(final TfNode n) {
        final String p = n.string("padding", "VALID");
        final String mode;
        if ("SAME".equals(p)) {
            mode = "SAME_UPPER";
        } else if ("VALID".equals(p)) {
            mode = "VALID";
        } else {
            throw new IllegalArgumentException(
                    "'" + n.name() + "' has padding " + p + "; only SAME and VALID are supported");
        }
        return AttributeProto.newBuilder()
                .setName("auto_pad")
                .setS(ByteString.copyFromUtf8(mode))
                .setType(AttributeProto.AttributeType.STRING)
                .build();
    }

    private TfjsTensor weight(final String name) {
        final TfjsTensor t = model.weights().get(name);
        if (t == null) {
            throw new IllegalArgumentException("no weight named '" + name + "' in the manifest");
        }
        return t;
    }

    private NodeProto node(
            final String op, final List<String> inputs, final String output, final List<AttributeProto> attrs) {
        return NodeProto.newBuilder()
                .addAllInput(inputs)
                .addOutput(output)
                .setName(fresh(op))
                .setOpType(op)
                .addAllAttribute(attrs)
                .build();
    }

    private static AttributeProto intsAttr(final String name, final long... v) {
        final AttributeProto.Builder b =
                AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (final long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    private static AttributeProto intAttr(final String name, final long v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setI(v)
                .setType(AttributeProto.AttributeType.INT)
                .build();
    }

    private static TensorProto scalar(final String name, final float v) {
        return floatTensor(name, new long[0], new float[] {v});
    }

    private static TensorProto floatTensor(final String name, final long[] dims, final float[] v) {
        final ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        final TensorProto.Builder t =
                TensorProto.newBuilder().setDataType(FLOAT).setName(name).setRawData(ByteString.copyFrom(bb.array()));
        for (final long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }
}
