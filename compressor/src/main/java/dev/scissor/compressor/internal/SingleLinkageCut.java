package dev.scissor.compressor.internal;

import java.util.Arrays;

/**
 * Budget mode's temporal step: a single-linkage cut of the complete similarity graph over S tokens
 * to exactly {@code min(K, S)} components (ALGORITHM.md decision 8).
 *
 * <p>Edges are ordered by descending similarity, ties by i then j (i &lt; j). Kruskal's merges are
 * the maximum spanning tree's edges in that order, so the tree is built with Prim (O(S^2) on the
 * cached similarities) and its first S-K edges are united; the next tree edge is the blocking edge,
 * and G_K is every edge ordered before it. Components are ordered by their highest-degree member in
 * G_K (no self-loops; ties to the lowest index).
 */
public final class SingleLinkageCut {

    /** Similarity of two distinct vertices; must be symmetric and never NaN. */
    @FunctionalInterface
    public interface Similarity {
        /**
         * @param u a vertex
         * @param v another vertex
         * @return their similarity
         */
        float sim(int u, int v);
    }

    private float[] bestSim = new float[0];
    private int[] bestFrom = new int[0];
    private boolean[] inTree = new boolean[0];
    private long[] treeKeys = new long[0];
    private int[] parent = new int[0];
    private int[] degree = new int[0];
    private int[] rootBest = new int[0];
    private int[] rankOfKey = new int[0];

    /**
     * Cuts the graph into {@code min(k, n)} components.
     *
     * @param n number of vertices, at most 65535
     * @param k requested number of components, at least 1
     * @param similarity the edge weights
     * @param labels output: component of each vertex, in output order
     * @return the number of components
     */
    public int cut(final int n, final int k, final Similarity similarity, final int[] labels) {
        if (n > 0xFFFF) {
            throw new IllegalArgumentException("budget mode supports at most 65535 spatial tokens per window, got " + n);
        }
        ensure(n);
        final int edges = primTree(n, similarity);
        Arrays.sort(treeKeys, 0, edges);
        final int merges = Math.max(0, Math.min(n - k, edges));
        for (int v = 0; v < n; v++) {
            parent[v] = v;
        }
        for (int e = 0; e < merges; e++) {
            final int i = (int) (treeKeys[e] >>> 16) & 0xFFFF;
            final int j = (int) treeKeys[e] & 0xFFFF;
            parent[find(i)] = find(j);
        }
        // Degrees in G_K: every edge ordered before the blocking edge.
        Arrays.fill(degree, 0, n, 0);
        if (merges < edges) {
            final long block = treeKeys[merges] ^ Long.MIN_VALUE;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    if (Long.compareUnsigned(key(similarity.sim(i, j), i, j), block) < 0) {
                        degree[i]++;
                        degree[j]++;
                    }
                }
            }
        } else {
            Arrays.fill(degree, 0, n, n - 1);
        }
        Arrays.fill(rootBest, 0, n, -1);
        for (int v = 0; v < n; v++) {
            final int r = find(v);
            final int b = rootBest[r];
            if (b < 0 || degree[v] > degree[b]) {
                rootBest[r] = v; // ascending v: ties keep the lowest index
            }
        }
        Arrays.fill(rankOfKey, 0, n, -1);
        for (int v = 0; v < n; v++) {
            if (find(v) == v) {
                rankOfKey[rootBest[v]] = v;
            }
        }
        int comps = 0;
        for (int key = 0; key < n; key++) {
            final int root = rankOfKey[key];
            if (root >= 0) {
                rootBest[root] = comps++; // reuse: root -> output index
            }
        }
        for (int v = 0; v < n; v++) {
            labels[v] = rootBest[find(v)];
        }
        return comps;
    }

    /** Builds the maximum spanning tree (unique under the total edge order); returns its edge count. */
    private int primTree(final int n, final Similarity similarity) {
        if (n == 0) {
            return 0;
        }
        Arrays.fill(inTree, 0, n, false);
        Arrays.fill(bestFrom, 0, n, -1);
        int edges = 0;
        int u = 0;
        inTree[0] = true;
        for (int step = 1; step < n; step++) {
            int next = -1;
            for (int v = 0; v < n; v++) {
                if (inTree[v]) {
                    continue;
                }
                final float s = normalizeZero(similarity.sim(u, v));
                if (bestFrom[v] < 0 || before(s, u, v, bestSim[v], bestFrom[v], v)) {
                    bestSim[v] = s;
                    bestFrom[v] = u;
                }
                if (next < 0 || before(bestSim[v], bestFrom[v], v, bestSim[next], bestFrom[next], next)) {
                    next = v;
                }
            }
            inTree[next] = true;
            treeKeys[edges++] = key(bestSim[next], bestFrom[next], next) ^ Long.MIN_VALUE; // signed sort order
            u = next;
        }
        return edges;
    }

    /** Whether edge (a1, b1) with similarity s1 is ordered before edge (a2, b2) with s2. */
    private static boolean before(final float s1, final int a1, final int b1, final float s2, final int a2, final int b2) {
        if (s1 != s2) {
            return s1 > s2;
        }
        final int i1 = Math.min(a1, b1);
        final int i2 = Math.min(a2, b2);
        if (i1 != i2) {
            return i1 < i2;
        }
        return Math.max(a1, b1) < Math.max(a2, b2);
    }

    /**
     * A key whose unsigned order is the edge order: descending similarity, then i, then j.
     */
    static long key(final float sim, final int a, final int b) {
        final int bits = Float.floatToIntBits(normalizeZero(sim));
        final int ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed order of the float
        final long descending = (~(ascending ^ 0x80000000)) & 0xFFFFFFFFL; // unsigned, reversed
        final int i = Math.min(a, b);
        final int j = Math.max(a, b);
        return (descending << 32) | ((long) i << 16) | j;
    }

    private static float normalizeZero(final float s) {
        return s == 0.0f ? 0.0f : s;
    }

    private int find(int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    private void ensure(final int n) {
        if (bestSim.length < n) {
            bestSim = new float[n];
            bestFrom = new int[n];
            inTree = new boolean[n];
            treeKeys = new long[n];
            parent = new int[n];
            degree = new int[n];
            rootBest = new int[n];
            rankOfKey = new int[n];
        }
    }
}
