package dev.scissor.encoder.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The checks of a descriptor: its fields, and a model's declared and actual tensors against it ({@link
 * EncoderModelDescriptor#validate}).
 */
final class DescriptorChecks {

    private DescriptorChecks() {}

    static void validate(final EncoderModelDescriptor d, final OrtSession session) throws OrtException {
        final List<String> problems = new ArrayList<>();
        final Map<String, NodeInfo> inputs = session.getInputInfo();
        final Map<String, NodeInfo> outputs = session.getOutputInfo();
        final NodeInfo in = inputs.get(d.inputName());
        if (in == null) {
            problems.add("model has no input '" + d.inputName() + "'; inputs are " + describe(inputs));
        } else {
            if (inputs.size() > 1) {
                problems.add("model has " + inputs.size() + " inputs " + describe(inputs)
                        + " but the encoder feeds only '" + d.inputName() + "'");
            }
            checkTensor(
                    problems,
                    "input",
                    in,
                    new long[] {-1, 3, d.inputHeight(), d.inputWidth()},
                    "[N,3," + d.inputHeight() + "," + d.inputWidth() + "]");
        }
        final NodeInfo out = outputs.get(d.outputName());
        if (out == null) {
            problems.add("model has no output '" + d.outputName() + "'; outputs are " + describe(outputs));
        } else if (d.outputLayout() == EncoderModelDescriptor.OutputLayout.NCHW) {
            checkTensor(
                    problems,
                    "output",
                    out,
                    new long[] {-1, d.tokenDim(), d.gridHeight(), d.gridWidth()},
                    "[N," + d.tokenDim() + "," + d.gridHeight() + "," + d.gridWidth() + "]");
        } else {
            checkTensor(
                    problems,
                    "output",
                    out,
                    new long[] {-1, d.tokenCount(), d.tokenDim()},
                    "[N," + d.tokenCount() + "," + d.tokenDim() + "]");
        }
        if (!problems.isEmpty()) {
            throw new ModelContractException(
                    "encoder '" + d.id() + "' (" + d.model() + "): " + String.join("; ", problems));
        }
    }

    static void checkOutputShape(final EncoderModelDescriptor d, final long[] shape, final int batch) {
        final long[] expected = d.outputLayout() == EncoderModelDescriptor.OutputLayout.NCHW
                ? new long[] {batch, d.tokenDim(), d.gridHeight(), d.gridWidth()}
                : new long[] {batch, d.tokenCount(), d.tokenDim()};
        if (!Arrays.equals(shape, expected)) {
            throw new ModelContractException("encoder '" + d.id() + "': output '" + d.outputName()
                    + "' has shape " + shapeText(shape) + " but the descriptor expects "
                    + shapeText(expected) + " (" + d.outputLayout() + ", grid " + d.gridHeight() + "x"
                    + d.gridWidth()
                    + ", dim " + d.tokenDim() + ")");
        }
    }

    static void requireText(final String v, final String key) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("encoder descriptor: '" + key + "' is required");
        }
    }

    static void requirePositive(final int v, final String key) {
        if (v <= 0) {
            throw new IllegalArgumentException(
                    "encoder descriptor: '" + key + "' must be a positive integer, got " + v);
        }
    }

    static void checkTensor(
            final List<String> problems,
            final String kind,
            final NodeInfo info,
            final long[] expected,
            final String expectedText) {
        if (!(info.getInfo() instanceof TensorInfo)) {
            problems.add(kind + " '" + info.getName() + "' is not a tensor (" + info.getInfo() + ")");
            return;
        }
        final TensorInfo t = (TensorInfo) info.getInfo();
        if (t.type != OnnxJavaType.FLOAT) {
            problems.add(kind + " '" + info.getName() + "' has element type " + t.type + ", expected FLOAT");
        }
        final long[] shape = t.getShape();
        if (shape.length == 0) {
            return; // declared without a shape: checked at run time
        }
        boolean ok = shape.length == expected.length;
        for (int k = 0; ok && k < shape.length; k++) {
            ok = shape[k] < 0 || expected[k] < 0 || shape[k] == expected[k];
        }
        if (!ok) {
            problems.add(
                    kind + " '" + info.getName() + "' has shape " + shapeText(shape) + ", expected " + expectedText);
        }
    }

    static String describe(final Map<String, NodeInfo> infos) {
        final List<String> parts = new ArrayList<>();
        for (final NodeInfo n : infos.values()) {
            if (n.getInfo() instanceof TensorInfo t) {
                parts.add(n.getName() + " " + shapeText(t.getShape()));
            } else {
                parts.add(n.getName());
            }
        }
        return parts.toString();
    }

    static String shapeText(final long[] shape) {
        if (shape.length == 0) {
            return "[?]";
        }
        final StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < shape.length; k++) {
            sb.append(k == 0 ? "" : ",").append(shape[k] < 0 ? "?" : Long.toString(shape[k]));
        }
        return sb.append(']').toString();
    }
}
