package dev.scissor.encoder.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs every output of an ONNX model, for comparisons between two models. */
public final class OrtRunner implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OrtRunner(final Path model) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(2);
            session = env.createSession(model.toString(), o);
        }
    }

    /** Runs {@code input [n,3,h,w]} and returns every output, flattened, by name. */
    public Map<String, float[]> run(final FloatBuffer input, final long n, final long h, final long w)
            throws OrtException {
        final Map<String, float[]> out = new LinkedHashMap<>();
        try (OnnxTensor in = OnnxTensor.createTensor(env, input, new long[] {n, 3, h, w});
                OrtSession.Result r = session.run(Map.of("pixel_values", in))) {
            for (final Map.Entry<String, OnnxValue> e : r) {
                final FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                final float[] v = new float[fb.remaining()];
                fb.get(v);
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    /** The shape of an output for the given input size. */
    public long[] shape(final String output, final FloatBuffer input, final long n, final long h, final long w)
            throws OrtException {
        try (OnnxTensor in = OnnxTensor.createTensor(env, input, new long[] {n, 3, h, w});
                OrtSession.Result r = session.run(Map.of("pixel_values", in))) {
            return ((OnnxTensor) r.get(output).get()).getInfo().getShape();
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
