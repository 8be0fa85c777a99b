package dev.scissor.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.model.BuiltinModels;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.onnx.ImagePreprocessor.PixelFormat;
import dev.scissor.encoder.testing.TestAssets;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default encoder end to end on a synthetic 640×360 BGR frame: preprocessing plus inference
 * for batches of 1 and 8, with the median time per frame logged (not asserted beyond a generous
 * sanity bound; the build machines are small and shared).
 */
class EncoderThroughputIT {

    private static final Logger LOG = LoggerFactory.getLogger(EncoderThroughputIT.class);

    @Test
    void defaultEncoderProducesTokenGridsAndReportsItsSpeed() throws Exception {
        final EncoderModelDescriptor d = EncoderModelDescriptor.defaultDescriptor();
        final Path model = TestAssets.model(BuiltinModels.MNV2_NSFWJS);
        final byte[] frame = new byte[640 * 360 * 3];
        new Random(5).nextBytes(frame);
        final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(d);
        try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(d, model, OnnxVisionEncoder.Options.DEFAULT)) {
            for (final int batch : new int[] {1, 8}) {
                final FloatBuffer in = pre.allocate(batch);
                final int runs = batch == 1 ? 30 : 6;
                final double[] preMs = new double[runs];
                final double[] encMs = new double[runs];
                float[][] tokens = null;
                for (int r = -3; r < runs; r++) {
                    final long t0 = System.nanoTime();
                    for (int i = 0; i < batch; i++) {
                        pre.preprocess(ByteBuffer.wrap(frame), 640, 360, 640 * 3, PixelFormat.BGR24, in, i);
                    }
                    final long t1 = System.nanoTime();
                    tokens = enc.encode(in, batch);
                    final long t2 = System.nanoTime();
                    if (r >= 0) {
                        preMs[r] = (t1 - t0) / 1e6 / batch;
                        encMs[r] = (t2 - t1) / 1e6 / batch;
                    }
                }
                Arrays.sort(preMs);
                Arrays.sort(encMs);
                LOG.info(
                        "{} on {}, batch {}: preprocess {} ms/frame, encode {} ms/frame (median of {};"
                                + " encode min {}, max {})",
                        d.id(),
                        enc.executionProvider(),
                        batch,
                        String.format("%.2f", preMs[runs / 2]),
                        String.format("%.1f", encMs[runs / 2]),
                        runs,
                        String.format("%.1f", encMs[0]),
                        String.format("%.1f", encMs[runs - 1]));
                assertEquals(batch, tokens.length);
                assertEquals(196 * 816, tokens[0].length);
                for (final float v : tokens[batch - 1]) {
                    assertTrue(v >= 0 && v <= 6, "ReLU6 features lie in [0,6]: " + v);
                }
                assertTrue(encMs[runs / 2] < 1000, "implausibly slow: " + encMs[runs / 2] + " ms");
            }
        }
    }
}
