package dev.scissor.compressor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case in {@code ../shared/golden}: discrete results (labels, counts, assignment) identical,
 * values within 1e-4 relative to the case's largest value. Sampled cases replay the stored orders.
 */
class GoldenTest {

    /** The original's NaN policy for zero tokens: information only, not the project's decision. */
    private static final String ORIGINAL_NAN_POLICY_CASE = "zero_vector_token";

    private static final double VALUE_TOLERANCE = 1e-4;

    @TestFactory
    Stream<DynamicTest> goldenCases() throws IOException {
        final Path dir = GoldenFiles.dir();
        final List<Path> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.toString().endsWith(".json"))
                    .filter(p -> !p.getFileName().toString().equals("manifest.json"))
                    .sorted()
                    .forEach(cases::add);
        }
        return cases.stream()
                .filter(p -> !kind(p).equals("input"))
                .filter(p -> !name(p).equals(ORIGINAL_NAN_POLICY_CASE))
                .map(p -> DynamicTest.dynamicTest(name(p), () -> check(dir, p)));
    }

    @Test
    void everyGoldenCaseIsCovered() throws IOException {
        final long count;
        try (Stream<Path> files = Files.list(GoldenFiles.dir())) {
            count = files.filter(p -> p.toString().endsWith(".npz")).count();
        }
        // 18 cases + 1 shared input file; every one but the NaN-policy case is checked above.
        assertEquals(19, count, "golden folder changed: review the cases this test runs");
    }

    private static void check(final Path dir, final Path sidecar) throws IOException {
        final String json = Files.readString(sidecar);
        final Map<String, NpyArray> a = Npy.readNpz(dir.resolve(name(sidecar) + ".npz"));
        final float[] input = input(dir, json, a);
        final double tau = a.get("tau").scalar();
        final double epsilon = a.get("epsilon").scalar();
        ScissorParams params = new ScissorParams(tau, epsilon, null, 0L, true);
        if (a.containsKey("K")) {
            params = params.withBudget(
                    ScissorParams.Budget.tokens((int) a.get("K").scalar()));
        }
        final SampleOrders orders = SampleOrders.replay(orders(a));
        final NpyArray expectedTokens = a.get("out_tokens");
        final String kind = kind(sidecar);
        if (kind.equals("spatial_scc")) {
            final int n = expectedLabels(a).length;
            final int d = input.length / n;
            final Scissor.SpatialResult r = Scissor.spatial(input, n, d, params, orders);
            assertArrayEquals(expectedLabels(a), r.labels(), "spatial labels");
            assertEquals(expectedTokens.shape()[0], r.count(), "component count");
            assertValues(expectedTokens.toDoubles(), r.tokens());
            return;
        }
        final int[] shape = inputShape(json, a);
        final WindowResult r = Scissor.compress(input, shape[0], shape[1], shape[2], params, orders);
        assertArrayEquals(a.get("spatial_counts").toInts(), r.spatialCounts(), "spatial counts");
        assertArrayEquals(expectedLabels(a), r.spatialLabels(), "spatial labels");
        assertArrayEquals(a.get("temporal_labels").toInts(), r.temporalLabels(), "temporal labels");
        assertArrayEquals(a.get("assignment").toInts(), r.assignment(), "merge assignment");
        assertEquals(expectedTokens.shape()[0], r.tokenCount(), "output tokens");
        assertValues(expectedTokens.toDoubles(), r.tokens());
    }

    private static void assertValues(final double[] expected, final float[] actual) {
        assertEquals(expected.length, actual.length, "output size");
        double scale = 0;
        for (final double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            final double err = Math.abs(expected[i] - actual[i]);
            if (err > worst) {
                worst = err;
                at = i;
            }
        }
        final double rel = scale == 0 ? worst : worst / scale;
        final int worstAt = at;
        assertTrue(rel <= VALUE_TOLERANCE, () -> "value " + worstAt + " off by " + rel + " relative to max |value|");
    }

    private static int[] expectedLabels(final Map<String, NpyArray> a) {
        return a.get("spatial_labels").toInts();
    }

    private static List<int[]> orders(final Map<String, NpyArray> a) {
        final int[] concat = a.get("orders_concat").toInts();
        final int[] lens = a.get("orders_len").toInts();
        final List<int[]> out = new ArrayList<>();
        int pos = 0;
        for (final int len : lens) {
            final int[] o = new int[len];
            System.arraycopy(concat, pos, o, 0, len);
            out.add(o);
            pos += len;
        }
        return out;
    }

    private static float[] input(final Path dir, final String json, final Map<String, NpyArray> a) throws IOException {
        if (a.containsKey("input")) {
            return a.get("input").toFloats();
        }
        final Map<String, NpyArray> in =
                a.containsKey("input_q") ? a : Npy.readNpz(dir.resolve(field(json, "input_file")));
        final float[] q = in.get("input_q").toFloats();
        final float scale = (float) in.get("input_scale").scalar();
        for (int i = 0; i < q.length; i++) {
            q[i] *= scale;
        }
        return q;
    }

    private static int[] inputShape(final String json, final Map<String, NpyArray> a) {
        return new int[] {intField(json, "T"), intField(json, "N"), intField(json, "D")};
    }

    private static String name(final Path sidecar) {
        final String f = sidecar.getFileName().toString();
        return f.substring(0, f.length() - ".json".length());
    }

    private static String kind(final Path sidecar) {
        try {
            return field(Files.readString(sidecar), "kind");
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String field(final String json, final String key) {
        final Matcher m =
                Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("sidecar has no field " + key);
        }
        return m.group(1);
    }

    private static int intField(final String json, final String key) {
        final Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("sidecar has no integer field " + key);
        }
        return Integer.parseInt(m.group(1));
    }
}
