package dev.scissor.compressor.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SingleLinkageCutTest {

    private static final float MARGIN = 1e-3f;

    /**
     * ALGORITHM.md decision 8 on the float64 similarities, by brute force: every pair in descending
     * order (ties by i, then j), Kruskal until K components, G_K = the edges before the blocking edge,
     * components ordered by their highest-degree member in G_K.
     */
    private static int[] reference(final double[][] sim, final int k) {
        final int n = sim.length;
        final List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                pairs.add(new int[] {i, j});
            }
        }
        pairs.sort((p, q) -> sim[p[0]][p[1]] != sim[q[0]][q[1]]
                ? Double.compare(sim[q[0]][q[1]], sim[p[0]][p[1]])
                : p[0] != q[0] ? Integer.compare(p[0], q[0]) : Integer.compare(p[1], q[1]));
        final int[] parent = new int[n];
        final int[] degree = new int[n];
        for (int v = 0; v < n; v++) {
            parent[v] = v;
        }
        int merges = 0;
        for (final int[] p : pairs) {
            final int a = find(parent, p[0]);
            final int b = find(parent, p[1]);
            if (a != b) {
                if (merges == n - k) {
                    break; // the blocking edge
                }
                parent[a] = b;
                merges++;
            }
            degree[p[0]]++;
            degree[p[1]]++;
        }
        final int[] best = new int[n];
        Arrays.fill(best, -1);
        for (int v = 0; v < n; v++) {
            final int r = find(parent, v);
            if (best[r] < 0 || degree[v] > degree[best[r]]) {
                best[r] = v;
            }
        }
        final int[] rootOfKey = new int[n];
        Arrays.fill(rootOfKey, -1);
        for (int v = 0; v < n; v++) {
            if (find(parent, v) == v) {
                rootOfKey[best[v]] = v;
            }
        }
        final int[] out = new int[n];
        final int[] index = new int[n];
        int c = 0;
        for (int key = 0; key < n; key++) {
            if (rootOfKey[key] >= 0) {
                index[rootOfKey[key]] = c++;
            }
        }
        for (int v = 0; v < n; v++) {
            out[v] = index[find(parent, v)];
        }
        return out;
    }

    private static int find(final int[] parent, int x) {
        while (parent[x] != x) {
            x = parent[x];
        }
        return x;
    }

    /**
     * Similarities on a few levels with offsets far below the margin, so nearly every comparison is a
     * near tie; the float32 values are the float64 ones plus symmetric noise within half the margin,
     * which reorders them. The cut must follow the float64 order whatever the grouping into blocks.
     */
    @Test
    void nearTiesFollowTheFloat64Order() {
        final SplittableRandom rnd = new SplittableRandom(11);
        final SingleLinkageCut cut = new SingleLinkageCut();
        for (int trial = 0; trial < 300; trial++) {
            final int n = 2 + rnd.nextInt(40);
            final double[][] exact = new double[n][n];
            final float[][] noisy = new float[n][n];
            for (int i = 0; i < n; i++) {
                exact[i][i] = 1.0;
                noisy[i][i] = 1.0f;
                for (int j = 0; j < i; j++) {
                    final double v = rnd.nextInt(4) * 0.25 + rnd.nextInt(3) * 1e-6;
                    exact[i][j] = v;
                    exact[j][i] = v;
                    final float f = (float) (v + (rnd.nextDouble() - 0.5) * MARGIN * 0.9);
                    noisy[i][j] = f;
                    noisy[j][i] = f;
                }
            }
            final int k = 1 + rnd.nextInt(n);
            // Random grouping of the vertices into consecutive blocks.
            final List<Integer> cuts = new ArrayList<>(List.of(0));
            for (int v = 1; v < n; v++) {
                if (rnd.nextInt(3) == 0) {
                    cuts.add(v);
                }
            }
            cuts.add(n);
            final int groups = cuts.size() - 1;
            final int[] offset = cuts.stream().mapToInt(Integer::intValue).toArray();
            final float[][] blocks = new float[groups * groups][];
            for (int a = 0; a < groups; a++) {
                for (int b = 0; b < groups; b++) {
                    final int sa = offset[a + 1] - offset[a];
                    final int sb = offset[b + 1] - offset[b];
                    blocks[a * groups + b] = new float[sa * sb];
                    for (int i = 0; i < sa; i++) {
                        for (int j = 0; j < sb; j++) {
                            blocks[a * groups + b][i * sb + j] = noisy[offset[a] + i][offset[b] + j];
                        }
                    }
                }
            }
            final int[] labels = new int[n];
            final int m = cut.cut(n, k, groups, offset, blocks, MARGIN, (u, v) -> exact[u][v], labels);
            final int[] expected = reference(exact, k);
            assertEquals(Math.min(k, n), m, "trial " + trial);
            assertArrayEquals(expected, labels, "trial " + trial + " n=" + n + " k=" + k);
        }
    }
}
