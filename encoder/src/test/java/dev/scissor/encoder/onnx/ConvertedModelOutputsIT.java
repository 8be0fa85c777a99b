package dev.scissor.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.model.BuiltinModels;
import dev.scissor.encoder.model.EncoderModelDescriptor.ChannelOrder;
import dev.scissor.encoder.model.Normalization;
import dev.scissor.encoder.onnx.ImagePreprocessor.PixelFormat;
import dev.scissor.encoder.testing.OrtRunner;
import dev.scissor.encoder.testing.TestAssets;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numerical checks of the converted models: the known grey-frame probabilities, and agreement
 * with the reference ONNX files on the darknet photos. Tolerance: absolute 1e-4 on every output
 * value (the conversion is byte-identical, so the measured difference is 0).
 */
class ConvertedModelOutputsIT {

    private static final Logger LOG = LoggerFactory.getLogger(ConvertedModelOutputsIT.class);
    private static final double TOL = 1e-4;
    private static final List<String> PHOTOS =
            List.of("dog.jpg", "person.jpg", "horses.jpg", "giraffe.jpg", "eagle.jpg", "kite.jpg", "scream.jpg");
    private static final String[] CLASSES = {"Drawing", "Hentai", "Neutral", "Porn", "Sexy"};

    private static FloatBuffer grey(final int batch) {
        final FloatBuffer fb = ByteBuffer.allocateDirect(4 * batch * 3 * 224 * 224)
                .order(java.nio.ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < fb.capacity(); i++) {
            fb.put(i, 0.5f);
        }
        return fb;
    }

    @Test
    void greyFrameGivesTheKnownProbabilities() throws Exception {
        final Path onnx = TestAssets.model(BuiltinModels.MNV2_NSFWJS);
        try (OrtRunner m = new OrtRunner(onnx)) {
            final Map<String, float[]> out = m.run(grey(1), 1, 224, 224);
            assertEquals(
                    List.of("probs", "feat_7x7", "feat_14x14", "feat_14x14_wide", "pooled"), List.copyOf(out.keySet()));
            assertArrayEquals(
                    new float[] {0.04828f, 0.04203f, 0.90655f, 0.00154f, 0.00160f}, out.get("probs"), (float) TOL);
            assertEquals(1792 * 49, out.get("feat_7x7").length);
            assertEquals(136 * 196, out.get("feat_14x14").length);
            assertEquals(816 * 196, out.get("feat_14x14_wide").length);
            assertEquals(1792, out.get("pooled").length);
            assertArrayEquals(new long[] {1, 816, 14, 14}, m.shape("feat_14x14_wide", grey(1), 1, 224, 224));
        }
    }

    @Test
    void mobileNetV2MatchesTheReferenceOnRealPhotos() throws Exception {
        final Path onnx = TestAssets.model(BuiltinModels.MNV2_NSFWJS);
        final Path reference = TestAssets.referenceModel("mnv2_140_nsfwjs.onnx");
        final Path photos = TestAssets.darknetImages();
        final List<String> names = available(photos);
        final FloatBuffer batch = load(photos, names, 224, 224);
        try (OrtRunner ours = new OrtRunner(onnx);
                OrtRunner ref = new OrtRunner(reference)) {
            final Map<String, float[]> a = ours.run(batch, names.size(), 224, 224);
            final Map<String, float[]> b = ref.run(batch, names.size(), 224, 224);
            final double diff = maxAbsDiff(a, b);
            LOG.info("mnv2-nsfwjs vs reference on {}: max |diff| = {} over all outputs", names, diff);
            assertTrue(diff <= TOL, "max abs diff " + diff);
            final float[] probs = a.get("probs");
            for (int i = 0; i < names.size(); i++) {
                LOG.info(
                        "{}: {} {}",
                        names.get(i),
                        CLASSES[argmax(probs, i * 5, 5)],
                        java.util.Arrays.toString(java.util.Arrays.copyOfRange(probs, i * 5, i * 5 + 5)));
            }
            // Classifier sanity (ENCODERS.md §3): the painting is a drawing, the dog photo neutral.
            assertEquals("Drawing", CLASSES[argmax(probs, names.indexOf("scream.jpg") * 5, 5)]);
            assertEquals("Neutral", CLASSES[argmax(probs, names.indexOf("dog.jpg") * 5, 5)]);
        }
    }

    @Test
    void centerNetBackboneMatchesTheReferenceAtTwoSizes() throws Exception {
        final Path onnx = TestAssets.model(BuiltinModels.MNV3_CENTERNET);
        final Path reference = TestAssets.referenceModel("centernet_mnv3_backbone.onnx");
        final Path photos = TestAssets.darknetImages();
        final List<String> names = List.of("dog.jpg", "person.jpg");
        try (OrtRunner ours = new OrtRunner(onnx);
                OrtRunner ref = new OrtRunner(reference)) {
            for (final int size : new int[] {224, 448}) {
                final FloatBuffer batch = load(photos, names, size, size);
                final Map<String, float[]> a = ours.run(batch, 2, size, size);
                final double diff = maxAbsDiff(a, ref.run(batch, 2, size, size));
                LOG.info("mnv3-centernet vs reference at {}: max |diff| = {}", size, diff);
                assertTrue(diff <= TOL, "max abs diff " + diff);
                assertArrayEquals(
                        new long[] {2, 88, size / 16, size / 16}, ours.shape("feat_s16", batch, 2, size, size));
                assertEquals(2 * 120 * (size / 32) * (size / 32), a.get("feat_s32").length);
            }
        }
    }

    private static List<String> available(final Path dir) {
        final List<String> out = new ArrayList<>();
        for (final String n : PHOTOS) {
            if (Files.isRegularFile(dir.resolve(n))) {
                out.add(n);
            }
        }
        assertTrue(out.contains("dog.jpg") && out.contains("scream.jpg"), "photos in " + dir);
        return out;
    }

    static FloatBuffer load(final Path dir, final List<String> names, final int h, final int w) throws Exception {
        final ImagePreprocessor pre = new ImagePreprocessor(h, w, ChannelOrder.RGB, Normalization.UNIT);
        final FloatBuffer batch = pre.allocate(names.size());
        for (int i = 0; i < names.size(); i++) {
            final TestAssets.Image img = TestAssets.readBgr(dir.resolve(names.get(i)));
            pre.preprocess(
                    ByteBuffer.wrap(img.bgr()), img.width(), img.height(), img.stride(), PixelFormat.BGR24, batch, i);
        }
        return batch;
    }

    private static double maxAbsDiff(final Map<String, float[]> a, final Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double max = 0;
        for (final String k : a.keySet()) {
            final float[] x = a.get(k);
            final float[] y = b.get(k);
            assertEquals(x.length, y.length, k);
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    private static int argmax(final float[] v, final int off, final int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
