package dev.scissor.encoder.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

/** Tiny ONNX models built in code (in the style of ONNX Runtime's ModelGenerators). */
public final class TinyModels {

    private TinyModels() {}

    /**
     * {@code out = Identity(in)}, input {@code [N,c,h,w]} float; {@code h, w < 0} are symbolic.
     *
     * @param declareOutputShape whether the output declares its shape or only its element type
     */
    public static byte[] identity(
            final String in,
            final int c,
            final int h,
            final int w,
            final String out,
            final boolean declareOutputShape) {
        final GraphProto.Builder g = GraphProto.newBuilder()
                .setName("identity")
                .addInput(info(in, -1, c, h, w))
                .addNode(node("Identity", out, in))
                .addOutput(declareOutputShape ? info(out, -1, c, h, w) : info(out));
        return model(g);
    }

    /** Two outputs from input {@code x [N,3,4,4]}: {@code double = 2x}, {@code relu = Relu(x)}. */
    public static byte[] twoOutputs() {
        final GraphProto.Builder g = GraphProto.newBuilder()
                .setName("two")
                .addInput(info("x", -1, 3, 4, 4))
                .addInitializer(
                        TensorProto.newBuilder().setName("two").setDataType(1).addFloatData(2f))
                .addNode(node("Mul", "double", "x", "two"))
                .addNode(node("Relu", "relu", "x"))
                .addOutput(info("double"))
                .addOutput(info("relu"));
        return model(g);
    }

    /** Input {@code x [N,3,2,2]} to tokens {@code [N,4,3]} (NTD: pixel-major RGB). */
    public static byte[] ntd() {
        final GraphProto.Builder g = GraphProto.newBuilder()
                .setName("ntd")
                .addInput(info("x", -1, 3, 2, 2))
                .addInitializer(TensorProto.newBuilder()
                        .setName("shape")
                        .setDataType(7)
                        .addDims(3)
                        .addInt64Data(0)
                        .addInt64Data(3)
                        .addInt64Data(-1))
                .addNode(node("Reshape", "flat", "x", "shape"))
                .addNode(NodeProto.newBuilder()
                        .setOpType("Transpose")
                        .addInput("flat")
                        .addOutput("tokens")
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("perm")
                                .setType(AttributeProto.AttributeType.INTS)
                                .addInts(0)
                                .addInts(2)
                                .addInts(1)))
                .addOutput(info("tokens", -1, 4, 3));
        return model(g);
    }

    private static NodeProto node(final String op, final String out, final String... ins) {
        final NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).addOutput(out);
        for (final String i : ins) {
            b.addInput(i);
        }
        return b.build();
    }

    /** A float tensor value info; dims &lt; 0 are symbolic; no dims = element type only. */
    public static ValueInfoProto info(final String name, final long... dims) {
        final TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(1);
        if (dims.length > 0) {
            final TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (int k = 0; k < dims.length; k++) {
                s.addDim(
                        dims[k] < 0
                                ? TensorShapeProto.Dimension.newBuilder().setDimParam("d" + k)
                                : TensorShapeProto.Dimension.newBuilder().setDimValue(dims[k]));
            }
            t.setShape(s);
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder().setTensorType(t))
                .build();
    }

    private static byte[] model(final GraphProto.Builder g) {
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g)
                .build()
                .toByteArray();
    }
}
