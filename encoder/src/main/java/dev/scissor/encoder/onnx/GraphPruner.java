package dev.scissor.encoder.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Cuts an ONNX model down to what one output needs. ONNX Runtime runs the whole graph even when
 * only some outputs are fetched, so an encoder that reads {@code feat_14x14_wide} of the nsfwjs
 * MobileNetV2 would otherwise also compute the last blocks, the 7×7 head and the classifier.
 *
 * <p>Pruning is skipped (empty result) when it cannot be done safely: the output is not a graph
 * output, a node carries a subgraph, or tensors live in external data files.
 */
final class GraphPruner {

    private GraphPruner() {}

    /**
     * Returns the model reduced to the nodes, initializers and inputs that {@code output} depends
     * on, with {@code output} as the only graph output.
     *
     * @param model a serialised ONNX model
     * @param output the output to keep
     * @return the pruned model, or empty if it cannot or need not be pruned
     */
    static Optional<byte[]> pruneToOutput(final byte[] model, final String output) {
        final ModelProto m;
        try {
            m = ModelProto.parseFrom(model);
        } catch (final InvalidProtocolBufferException e) {
            return Optional.empty(); // let ONNX Runtime report the problem
        }
        final GraphProto g = m.getGraph();
        if (g.getOutputList().stream().noneMatch(o -> o.getName().equals(output))) {
            return Optional.empty();
        }
        for (final TensorProto t : g.getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return Optional.empty();
            }
        }
        final List<NodeProto> nodes = g.getNodeList();
        final Set<String> needed = new HashSet<>();
        needed.add(output);
        final boolean[] keep = new boolean[nodes.size()];
        int kept = 0;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            final NodeProto n = nodes.get(i);
            if (n.getOutputList().stream().anyMatch(needed::contains)) {
                for (final AttributeProto a : n.getAttributeList()) {
                    if (a.hasG() || a.getGraphsCount() > 0) {
                        return Optional.empty();
                    }
                }
                keep[i] = true;
                kept++;
                needed.addAll(n.getInputList());
            }
        }
        if (kept == nodes.size() && g.getOutputCount() == 1) {
            return Optional.empty();
        }
        final GraphProto.Builder b = g.toBuilder()
                .clearNode()
                .clearInitializer()
                .clearOutput()
                .clearInput()
                .clearValueInfo();
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                b.addNode(nodes.get(i));
            }
        }
        for (final TensorProto t : g.getInitializerList()) {
            if (needed.contains(t.getName())) {
                b.addInitializer(t);
            }
        }
        for (final ValueInfoProto in : g.getInputList()) {
            if (needed.contains(in.getName())) {
                b.addInput(in);
            }
        }
        for (final ValueInfoProto vi : g.getValueInfoList()) {
            if (needed.contains(vi.getName())) {
                b.addValueInfo(vi);
            }
        }
        for (final ValueInfoProto o : g.getOutputList()) {
            if (o.getName().equals(output)) {
                b.addOutput(o);
            }
        }
        return Optional.of(m.toBuilder().setGraph(b).build().toByteArray());
    }
}
