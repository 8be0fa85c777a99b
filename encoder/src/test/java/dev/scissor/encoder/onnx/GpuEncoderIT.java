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
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default encoder on the CUDA execution provider (run only with {@code -Dscissor.test.gpu=true}
 * on a build with the {@code gpu} profile: {@code mvn -Pgpu -pl encoder verify -Dit.test=GpuEncoderIT
 * -Dscissor.test.gpu=true}): CUDA is really used (no silent CPU fallback), its tokens match the CPU
 * provider's within 1e-3, and the median ms/frame for batches of 1 and 8 is logged.
 */
@EnabledIfSystemProperty(named = "scissor.test.gpu", matches = "true")
class GpuEncoderIT {

    private static final Logger LOG = LoggerFactory.getLogger(GpuEncoderIT.class);

    @Test
    void cudaProviderMatchesCpuAndReportsItsSpeed() throws Exception {
        final EncoderModelDescriptor d = EncoderModelDescriptor.defaultDescriptor();
        final Path model = TestAssets.model(BuiltinModels.MNV2_NSFWJS);
        final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(d);
        final byte[] frame = new byte[640 * 480 * 3];
        new Random(7).nextBytes(frame);
        try (OnnxVisionEncoder gpu = OnnxVisionEncoder.open(
                        d, model, new OnnxVisionEncoder.Options(OnnxVisionEncoder.Device.CUDA, 0, 0, true));
                OnnxVisionEncoder cpu = OnnxVisionEncoder.open(d, model, OnnxVisionEncoder.Options.cpu(0))) {
            assertEquals("CUDA", gpu.executionProvider());
            for (final int batch : new int[] {1, 8}) {
                final FloatBuffer in = pre.allocate(batch);
                for (int i = 0; i < batch; i++) {
                    pre.preprocess(ByteBuffer.wrap(frame), 640, 480, 640 * 3, PixelFormat.BGR24, in, i);
                }
                final float[][] expected = cpu.encode(in, batch);
                final int runs = 50;
                final double[] ms = new double[runs];
                float[][] tokens = null;
                for (int r = -5; r < runs; r++) {
                    final long t0 = System.nanoTime();
                    tokens = gpu.encode(in, batch);
                    if (r >= 0) {
                        ms[r] = (System.nanoTime() - t0) / 1e6 / batch;
                    }
                }
                Arrays.sort(ms);
                LOG.info(
                        "{} on CUDA, batch {}: {} ms/frame (median of {}; min {}, max {})",
                        d.id(),
                        batch,
                        String.format("%.2f", ms[runs / 2]),
                        runs,
                        String.format("%.2f", ms[0]),
                        String.format("%.2f", ms[runs - 1]));
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i < expected[b].length; i++) {
                        final float e = expected[b][i];
                        assertTrue(
                                Math.abs(tokens[b][i] - e) <= 1e-3f * Math.max(1f, Math.abs(e)),
                                "token value " + i + " of frame " + b + ": CUDA " + tokens[b][i] + ", CPU " + e);
                    }
                }
            }
        }
    }
}
