package dev.scissor.encoder.tfjs;

import static dev.scissor.encoder.tfjs.TfjsFixture.convAttr;
import static dev.scissor.encoder.tfjs.TfjsFixture.ints;
import static dev.scissor.encoder.tfjs.TfjsFixture.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.scissor.encoder.tfjs.ConversionSpec.Output;
import dev.scissor.encoder.tfjs.TfjsFixture.Storage;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Converts a small TFJS graph that uses every supported op and checks ONNX Runtime's results
 * against a direct NHWC implementation of the TensorFlow semantics.
 */
class TfjsToOnnxConverterTest {

    private static final int N = 2;
    private static final int H = 5;
    private static final int W = 6;
    private static final int C = 2;
    private static final double TOL = 1e-4;

    /** x -> *2-1 -> conv3x3/2 SAME +b relu6 -> dw3x3 +b relu -> 1x1 +b -> add(conv1) -> ... */
    private static TfjsFixture graph() {
        return new TfjsFixture()
                .placeholder("input", -1, H, W, C)
                .constant("mul/y", Storage.FLOAT32, new int[] {}, 2f)
                .op("mul", "Mul", List.of("mul/y", "input"))
                .constant("sub/y", Storage.FLOAT32, new int[] {}, 1f)
                .op("sub", "Sub", List.of("mul", "sub/y"))
                .constant("c1/w", Storage.UINT8, new int[] {3, 3, C, 4})
                .constant("c1/b", Storage.FLOAT32, new int[] {4})
                .op("c1/Relu6", "_FusedConv2D", List.of("sub", "c1/w", "c1/b"), convAttr(2, "SAME", "BiasAdd", "Relu6"))
                .constant("dw/w", Storage.FLOAT16, new int[] {3, 3, 4, 2})
                .constant("dw/b", Storage.FLOAT32, new int[] {8})
                .op(
                        "dw/Relu",
                        "FusedDepthwiseConv2dNative",
                        List.of("c1/Relu6", "dw/w", "dw/b"),
                        convAttr(1, "SAME", "BiasAdd", "Relu"))
                .constant("pr/w", Storage.FLOAT32, new int[] {1, 1, 8, 4})
                .constant("pr/b", Storage.FLOAT32, new int[] {4})
                .op("pr/proj", "_FusedConv2D", List.of("dw/Relu:0", "pr/w", "pr/b"), convAttr(1, "SAME", "BiasAdd"))
                .op("add", "AddV2", List.of("pr/proj", "c1/Relu6"))
                .constant("chan/y", Storage.FLOAT32, new int[] {4}, 0.5f, -1f, 2f, 1.5f)
                .op("scaled", "Mul", List.of("add", "chan/y"))
                .constant("mean/axes", Storage.INT32, new int[] {2}, 1, 2)
                .op("se/mean", "Mean", List.of("scaled", "mean/axes"), Map.of("keep_dims", Map.of("b", true)))
                .op("se/sig", "Sigmoid", List.of("se/mean"))
                .op("gated", "Mul", List.of("scaled", "se/sig"))
                .op(
                        "pool",
                        "AvgPool",
                        List.of("gated"),
                        Map.of(
                                "ksize",
                                ints(1, 3, 3, 1),
                                "strides",
                                ints(1, 1, 1, 1),
                                "padding",
                                str("VALID"),
                                "data_format",
                                str("NHWC")))
                .op("squeeze", "Squeeze", List.of("pool"), Map.of("squeeze_dims", ints(1, 2)))
                .constant("fc/w", Storage.FLOAT32, new int[] {4, 3})
                .constant("fc/b", Storage.FLOAT32, new int[] {3})
                .op(
                        "fc",
                        "_FusedMatMul",
                        List.of("squeeze", "fc/w", "fc/b"),
                        Map.of(
                                "fused_ops",
                                TfjsFixture.strs("BiasAdd"),
                                "transpose_a",
                                Map.of("b", false),
                                "transpose_b",
                                Map.of("b", false)))
                .op("softmax", "Softmax", List.of("fc"))
                .constant("c2/w", Storage.FLOAT32, new int[] {1, 1, C, 3})
                .op("c2", "Conv2D", List.of("sub", "c2/w"), convAttr(1, "VALID"))
                .op("r6", "Relu6", List.of("c2"))
                .op("r", "Relu", List.of("c2"))
                .op("Identity", "Identity", List.of("softmax"));
    }

    private static final ConversionSpec SPEC = ConversionSpec.withProbs(List.of(
            new Output("add", "feat"),
            new Output("squeeze:0", "pooled"),
            new Output("r6", "relu6"),
            new Output("r", "relu")));

    @Test
    void matchesTensorFlowSemantics() throws Exception {
        final TfjsGraphModel tf = graph().load();
        final ModelProto onnx = TfjsToOnnxConverter.convert(tf, SPEC);
        assertEquals(8, onnx.getIrVersion());
        assertEquals(13, onnx.getOpsetImport(0).getVersion());
        assertEquals(
                List.of("probs", "feat", "pooled", "relu6", "relu"),
                onnx.getGraph().getOutputList().stream().map(o -> o.getName()).toList());

        final float[] x = new float[N * H * W * C]; // NHWC
        final Random r = new Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        final Reference ref = new Reference(tf.weights());
        final Map<String, float[]> expected = ref.run(x);

        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(PackedProtoWriter.toByteArray(onnx), new OrtSession.SessionOptions());
                OnnxTensor in = OnnxTensor.createTensor(
                        env, FloatBuffer.wrap(nhwcToNchw(x, N, H, W, C)), new long[] {N, C, H, W});
                OrtSession.Result res = s.run(Map.of("pixel_values", in))) {
            assertClose(expected.get("probs"), values(res, "probs"), "probs");
            assertClose(expected.get("pooled"), values(res, "pooled"), "pooled");
            assertClose(expected.get("feat"), nchwToNhwc(values(res, "feat"), N, 4, 3, 3), "feat");
            assertClose(expected.get("relu6"), nchwToNhwc(values(res, "relu6"), N, 3, H, W), "relu6");
            assertClose(expected.get("relu"), nchwToNhwc(values(res, "relu"), N, 3, H, W), "relu");
            assertArrayEquals(
                    new long[] {N, 4, 3, 3},
                    ((OnnxTensor) res.get("feat").get()).getInfo().getShape());
        }
    }

    @Test
    void followsTheReferenceNamingConventions() throws Exception {
        final ModelProto onnx = TfjsToOnnxConverter.convert(graph().load(), SPEC);
        final List<NodeProto> nodes = onnx.getGraph().getNodeList();
        // Mul: constant materialised as k_0 before the node name Mul_1, TF input order kept.
        assertEquals(List.of("k_0", "pixel_values"), nodes.get(0).getInputList());
        assertEquals("Mul_1", nodes.get(0).getName());
        assertEquals("mul", nodes.get(0).getOutput(0));
        // Conv: W_4, B_5, conv_6 -> Conv_7, act_8 -> Clip_9, Identity_10 -> own name.
        final NodeProto conv = nodes.get(2);
        assertEquals(List.of("sub", "W_4", "B_5"), conv.getInputList());
        assertEquals("conv_6", conv.getOutput(0));
        assertEquals("Clip_9", nodes.get(3).getName());
        assertEquals(
                List.of("conv_6", "c_zero", "c_six").subList(1, 3),
                nodes.get(3).getInputList().subList(1, 3));
        assertEquals("c1_Relu6", nodes.get(4).getOutput(0));
        assertEquals("c_zero", onnx.getGraph().getInitializer(0).getName());
        assertEquals("c_six", onnx.getGraph().getInitializer(1).getName());
        assertEquals("tfjs_converted", onnx.getGraph().getName());
        assertEquals("tfjs2onnx-modelhunt", onnx.getProducerName());
    }

    @Test
    void isDeterministicAndWritesPackedRepeatedFields() throws Exception {
        final byte[] a = PackedProtoWriter.toByteArray(TfjsToOnnxConverter.convert(graph().load(), SPEC));
        final byte[] b = PackedProtoWriter.toByteArray(TfjsToOnnxConverter.convert(graph().load(), SPEC));
        assertArrayEquals(a, b);
        final ModelProto parsed = ModelProto.parseFrom(a);
        assertEquals(TfjsToOnnxConverter.convert(graph().load(), SPEC), parsed);
        assertTrue(a.length < parsed.toByteArray().length, "packed encoding should be smaller");
    }

    @Test
    void supportsBackboneModeWithScaledDynamicInput() throws Exception {
        final ConversionSpec spec =
                ConversionSpec.backbone(List.of(new Output("add", "feat")), true, OptionalDouble.of(255));
        final ModelProto onnx = TfjsToOnnxConverter.convert(graph().load(), spec);
        assertEquals(
                List.of("feat"),
                onnx.getGraph().getOutputList().stream().map(o -> o.getName()).toList());
        final NodeProto first = onnx.getGraph().getNode(0);
        assertEquals("Mul_0", first.getName());
        assertEquals(List.of("pixel_values", "input_scale"), first.getInputList());
        assertEquals("input_scale", onnx.getGraph().getInitializer(2).getName());
        assertEquals(
                "H",
                onnx.getGraph()
                        .getInput(0)
                        .getType()
                        .getTensorType()
                        .getShape()
                        .getDim(2)
                        .getDimParam());
        // No node after "add" is converted.
        assertTrue(onnx.getGraph().getNodeList().stream()
                .noneMatch(n -> n.getOpType().equals("Gemm")));
    }

    @Test
    void reportsUnsupportedOpsAndUnknownTensors() throws Exception {
        final TfjsGraphModel tf =
                graph().op("resize", "ResizeBilinear", List.of("add")).load();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TfjsToOnnxConverter.convert(
                        tf,
                        ConversionSpec.backbone(List.of(new Output("resize", "x")), false, OptionalDouble.empty())));
        assertTrue(e.getMessage().contains("unsupported op 'ResizeBilinear' (node 'resize')"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TfjsToOnnxConverter.convert(
                        tf, ConversionSpec.backbone(List.of(new Output("nope", "x")), false, OptionalDouble.empty())));
        assertTrue(e.getMessage().contains("'nope' is not in the graph"), e.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    private static float[] values(final OrtSession.Result res, final String name) throws Exception {
        final FloatBuffer fb = ((OnnxTensor) res.get(name).get()).getFloatBuffer();
        final float[] v = new float[fb.remaining()];
        fb.get(v);
        return v;
    }

    private static void assertClose(final float[] exp, final float[] got, final String what) {
        assertEquals(exp.length, got.length, what + " length");
        for (int i = 0; i < exp.length; i++) {
            final int k = i;
            assertEquals(exp[i], got[i], TOL * Math.max(1, Math.abs(exp[i])), () -> what + "[" + k + "]");
        }
    }

    static float[] nhwcToNchw(final float[] x, final int n, final int h, final int w, final int c) {
        final float[] out = new float[x.length];
        for (int b = 0; b < n; b++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    for (int ch = 0; ch < c; ch++) {
                        out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch];
                    }
                }
            }
        }
        return out;
    }

    static float[] nchwToNhwc(final float[] x, final int n, final int c, final int h, final int w) {
        final float[] out = new float[x.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        out[((b * h + y) * w + xx) * c + ch] = x[((b * c + ch) * h + y) * w + xx];
                    }
                }
            }
        }
        return out;
    }

    /** The fixture graph evaluated directly in NHWC with TensorFlow's definitions. */
    private static final class Reference {
        private final Map<String, TfjsTensor> w;

        Reference(final Map<String, TfjsTensor> w) {
            this.w = w;
        }

        Map<String, float[]> run(final float[] x) {
            final float[] sub = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                sub[i] = 2 * x[i] - 1;
            }
            final float[] c1 = conv(sub, H, W, C, w("c1/w"), 3, 3, 4, 2, true, w("c1/b"));
            for (int i = 0; i < c1.length; i++) {
                c1[i] = Math.min(6, Math.max(0, c1[i]));
            }
            final int h1 = 3;
            final int w1 = 3; // ceil(5/2), ceil(6/2)
            final float[] dw = depthwise(c1, h1, w1, 4, w("dw/w"), 3, 3, 2, w("dw/b"));
            for (int i = 0; i < dw.length; i++) {
                dw[i] = Math.max(0, dw[i]);
            }
            final float[] pr = conv(dw, h1, w1, 8, w("pr/w"), 1, 1, 4, 1, true, w("pr/b"));
            final float[] add = new float[pr.length];
            for (int i = 0; i < pr.length; i++) {
                add[i] = pr[i] + c1[i];
            }
            final float[] chan = w("chan/y");
            final float[] scaled = new float[add.length];
            for (int i = 0; i < add.length; i++) {
                scaled[i] = add[i] * chan[i % 4];
            }
            final int hw = h1 * w1;
            final float[] gated = new float[scaled.length];
            final float[] pooled = new float[N * 4];
            for (int b = 0; b < N; b++) {
                for (int c = 0; c < 4; c++) {
                    double mean = 0;
                    for (int p = 0; p < hw; p++) {
                        mean += scaled[(b * hw + p) * 4 + c];
                    }
                    final double sig = 1 / (1 + Math.exp(-mean / hw));
                    double pool = 0;
                    for (int p = 0; p < hw; p++) {
                        final int i = (b * hw + p) * 4 + c;
                        gated[i] = (float) (scaled[i] * sig);
                        pool += gated[i];
                    }
                    pooled[b * 4 + c] = (float) (pool / hw); // AvgPool 3x3 VALID over a 3x3 map
                }
            }
            final float[] fw = w("fc/w");
            final float[] fb = w("fc/b");
            final float[] probs = new float[N * 3];
            for (int b = 0; b < N; b++) {
                final double[] logits = new double[3];
                double max = Double.NEGATIVE_INFINITY;
                for (int o = 0; o < 3; o++) {
                    double s = fb[o];
                    for (int i = 0; i < 4; i++) {
                        s += pooled[b * 4 + i] * fw[i * 3 + o];
                    }
                    logits[o] = s;
                    max = Math.max(max, s);
                }
                double z = 0;
                for (int o = 0; o < 3; o++) {
                    z += Math.exp(logits[o] - max);
                }
                for (int o = 0; o < 3; o++) {
                    probs[b * 3 + o] = (float) (Math.exp(logits[o] - max) / z);
                }
            }
            final float[] c2 = conv(sub, H, W, C, w("c2/w"), 1, 1, 3, 1, false, null);
            final float[] r6 = new float[c2.length];
            final float[] relu = new float[c2.length];
            for (int i = 0; i < c2.length; i++) {
                r6[i] = Math.min(6, Math.max(0, c2[i]));
                relu[i] = Math.max(0, c2[i]);
            }
            return Map.of("probs", probs, "feat", add, "pooled", pooled, "relu6", r6, "relu", relu);
        }

        private float[] w(final String name) {
            final TfjsTensor t = w.get(name);
            if (t.isFloat()) {
                return t.floats();
            }
            throw new IllegalArgumentException(name);
        }

        /** TF conv2d, NHWC, HWIO weights; SAME padding when {@code same}. */
        private static float[] conv(
                final float[] x,
                final int h,
                final int wd,
                final int ci,
                final float[] k,
                final int kh,
                final int kw,
                final int co,
                final int s,
                final boolean same,
                final float[] bias) {
            final int oh = same ? (h + s - 1) / s : (h - kh) / s + 1;
            final int ow = same ? (wd + s - 1) / s : (wd - kw) / s + 1;
            final int padT = same ? Math.max((oh - 1) * s + kh - h, 0) / 2 : 0;
            final int padL = same ? Math.max((ow - 1) * s + kw - wd, 0) / 2 : 0;
            final float[] out = new float[N * oh * ow * co];
            for (int b = 0; b < N; b++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        for (int o = 0; o < co; o++) {
                            double acc = bias == null ? 0 : bias[o];
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    final int iy = oy * s + ky - padT;
                                    final int ix = ox * s + kx - padL;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    for (int i = 0; i < ci; i++) {
                                        acc += x[((b * h + iy) * wd + ix) * ci + i]
                                                * k[((ky * kw + kx) * ci + i) * co + o];
                                    }
                                }
                            }
                            out[((b * oh + oy) * ow + ox) * co + o] = (float) acc;
                        }
                    }
                }
            }
            return out;
        }

        /** TF depthwise conv, stride 1, SAME; output channel i*mult+m. */
        private static float[] depthwise(
                final float[] x,
                final int h,
                final int wd,
                final int ci,
                final float[] k,
                final int kh,
                final int kw,
                final int mult,
                final float[] bias) {
            final int co = ci * mult;
            final int padT = (kh - 1) / 2;
            final int padL = (kw - 1) / 2;
            final float[] out = new float[N * h * wd * co];
            for (int b = 0; b < N; b++) {
                for (int oy = 0; oy < h; oy++) {
                    for (int ox = 0; ox < wd; ox++) {
                        for (int i = 0; i < ci; i++) {
                            for (int m = 0; m < mult; m++) {
                                double acc = bias[i * mult + m];
                                for (int ky = 0; ky < kh; ky++) {
                                    for (int kx = 0; kx < kw; kx++) {
                                        final int iy = oy + ky - padT;
                                        final int ix = ox + kx - padL;
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                            acc += x[((b * h + iy) * wd + ix) * ci + i]
                                                    * k[((ky * kw + kx) * ci + i) * mult + m];
                                        }
                                    }
                                }
                                out[((b * h + oy) * wd + ox) * co + i * mult + m] = (float) acc;
                            }
                        }
                    }
                }
            }
            return out;
        }
    }
}
