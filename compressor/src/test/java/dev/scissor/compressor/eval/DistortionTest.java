package dev.scissor.compressor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DistortionTest {

    @Test
    void handComputedValues() {
        final float[] x = {1, 0, 0, 1, 1, 1};
        final Distortion d = Distortion.of(x, 3, new float[] {2, 0}, 1, 2);
        // cosines to (1, 0): 1, 0, 1/sqrt 2
        assertEquals((0 + 1 + (1 - Math.sqrt(0.5))) / 3, d.meanDistance(), 1e-6);
        assertEquals(1.0 / 3, d.coverage(), 1e-9);
        assertEquals(1.0, d.worst(), 1e-6);
        assertEquals(0.0, d.drift(), 1e-6);
        // kept (1, 2): cosines 1/sqrt 5 = 0.447, 2/sqrt 5 = 0.894, 3/sqrt 10 = 0.949 (its nearest original)
        final Distortion m = Distortion.of(x, 3, new float[] {1, 2}, 1, 2);
        assertEquals(1 - 3 / Math.sqrt(10), m.drift(), 1e-6);
        assertEquals(1 - 1 / Math.sqrt(5), m.worst(), 1e-6);
        assertEquals(
                ((1 - 1 / Math.sqrt(5)) + (1 - 2 / Math.sqrt(5)) + (1 - 3 / Math.sqrt(10))) / 3,
                m.meanDistance(),
                1e-6);
        assertEquals(1.0 / 3, m.coverage(), 1e-9); // only (1, 1) reaches 0.9
    }

    @Test
    void keepingEverythingHasZeroDistanceAcrossBlocks() {
        final int n = Distortion.BLOCK * 2 + 7;
        final float[] x = new float[n * 5];
        final SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        final Distortion d = Distortion.of(x, n, x, n, 5);
        assertEquals(0.0, d.meanDistance(), 1e-6);
        assertEquals(1.0, d.coverage(), 1e-12);
        assertEquals(0.0, d.worst(), 1e-5);
    }

    @Test
    void sameSeedSameTable() {
        final SplittableRandom r = new SplittableRandom(2);
        final float[] a = new float[4 * 16 * 6];
        final float[] b = new float[4 * 16 * 6];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
            b[i] = (float) r.nextGaussian();
        }
        final double[] ret = {0.1, 0.3};
        final List<Evaluation.Row> one = Evaluation.run(Methods.byNames(Methods.ALL, 9), List.of(a, b), 4, 16, 6, ret);
        final List<Evaluation.Row> two = Evaluation.run(Methods.byNames(Methods.ALL, 9), List.of(a, b), 4, 16, 6, ret);
        assertEquals(Methods.ALL.size() * 2, one.size());
        assertEquals(withoutTime(one), withoutTime(two));
    }

    private static List<Evaluation.Row> withoutTime(final List<Evaluation.Row> rows) {
        return rows.stream()
                .map(r -> new Evaluation.Row(
                        r.method(),
                        r.kind(),
                        r.retention(),
                        r.target(),
                        r.tokens(),
                        r.meanDistance(),
                        r.coverage(),
                        r.worst(),
                        r.drift(),
                        0))
                .toList();
    }
}
