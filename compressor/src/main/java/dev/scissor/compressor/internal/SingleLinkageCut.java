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
 *
 * <p>The similarities are float32 products whose bits depend on the product's shape; the order is
 * that of the float64 similarities: two float32 values further apart than the error margin are
 * ordered as they are, closer ones are re-decided on float64 similarities. The cut therefore does
 * not depend on how the float32 values were computed.
 */
public final class SingleLinkageCut {

    /** The float64 similarity of two distinct vertices; symmetric, never NaN. */
    @FunctionalInterface
    public interface ExactSimilarity {
        /**
         * @param u a vertex
         * @param v another vertex
         * @return their similarity in float64
         */
        double sim(int u, int v);
    }

    private float[] bestSim = new float[0];
    private double[] bestExact = new double[0];
    private int[] bestFrom = new int[0];
    private int[] groupOf = new int[0];
    private int[] rest = new int[0];
    private float[] row = new float[0];
    private long[] treeKeys = new long[0];
    private int[] treeFrom = new int[0];
    private int[] treeTo = new int[0];
    private float[] treeSim = new float[0];
    private double[] treeExact = new double[0];
    private int[] parent = new int[0];
    private int[] degree = new int[0];
    private int[] rootBest = new int[0];
    private int[] rankOfKey = new int[0];
    private Integer[] groupOrder = new Integer[0];

    /**
     * Cuts the graph into {@code min(k, n)} components. The vertices come in groups (a window's
     * frames): group a holds vertices {@code offset[a] .. offset[a + 1] - 1}, and
     * {@code blocks[a * groups + b]} their float32 similarities with group b's, row-major
     * [size a, size b]; block (b, a) is the transpose of block (a, b), bit for bit.
     *
     * @param n number of vertices ({@code offset[groups]}), at most 65535
     * @param k requested number of components, at least 1
     * @param groups number of groups
     * @param offset first vertex of each group, [groups + 1]
     * @param blocks the similarity blocks
     * @param margin float32 similarities further apart than this are ordered as their float64 values
     * @param exact the float64 similarities
     * @param labels output: component of each vertex, in output order
     * @return the number of components
     */
    public int cut(
            final int n,
            final int k,
            final int groups,
            final int[] offset,
            final float[][] blocks,
            final float margin,
            final ExactSimilarity exact,
            final int[] labels) {
        if (n > 0xFFFF) {
            throw new IllegalArgumentException(
                    "budget mode supports at most 65535 spatial tokens per window, got " + n);
        }
        ensure(n);
        for (int a = 0; a < groups; a++) {
            Arrays.fill(groupOf, offset[a], offset[a + 1], a);
        }
        // A candidate tree in float32 order (ties by index) gives a candidate blocking edge; the
        // pass over all pairs in the certified order confirms it (it is the blocking edge iff the
        // edges before it leave n - merges components and it joins two of them). Only when a near
        // tie made the float32 tree differ there is the tree rebuilt in the certified order.
        final int edges = primTree(n, groups, offset, blocks, 0.0f, (u, v) -> sim(blocks, groups, offset, u, v));
        final int merges = Math.max(0, Math.min(n - k, edges));
        if (merges < edges) {
            Arrays.sort(treeKeys, 0, edges);
            if (!componentsBefore(
                    n, groups, offset, blocks, margin, exact, treeKeys[merges] ^ Long.MIN_VALUE, merges)) {
                primTree(n, groups, offset, blocks, margin, exact);
                Arrays.sort(treeKeys, 0, edges);
                for (int e = 0; e < edges; e++) {
                    treeFrom[e] = (int) (treeKeys[e] >>> 16) & 0xFFFF;
                    treeTo[e] = (int) treeKeys[e] & 0xFFFF;
                    treeSim[e] = sim(blocks, groups, offset, treeFrom[e], treeTo[e]);
                }
                reorderAround(merges, edges, margin, exact);
                final long blocking = key(treeSim[merges], treeFrom[merges], treeTo[merges]);
                if (!componentsBefore(n, groups, offset, blocks, margin, exact, blocking, merges)) {
                    throw new IllegalStateException("the certified tree's blocking edge does not cut to K components");
                }
            }
        } else {
            for (int v = 0; v < n; v++) {
                parent[v] = 0; // every tree edge is merged: one component
            }
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

    private float sim(final float[][] blocks, final int groups, final int[] offset, final int u, final int v) {
        final int a = groupOf[u];
        final int b = groupOf[v];
        return normalizeZero(blocks[a * groups + b][(u - offset[a]) * (offset[b + 1] - offset[b]) + v - offset[b]]);
    }

    /**
     * Builds the maximum spanning tree (unique under the total edge order); returns its edge count.
     * The vertices not in the tree yet are kept compact (position i: vertex {@code rest[i]}, its best
     * edge to the tree); each step copies the newest tree vertex's row into one buffer, updates every
     * remaining vertex from it and finds the next vertex in the same pass.
     */
    private int primTree(
            final int n,
            final int groups,
            final int[] offset,
            final float[][] blocks,
            final float margin,
            final ExactSimilarity exact) {
        int r = n - 1;
        for (int i = 0; i < r; i++) {
            rest[i] = i + 1;
            bestSim[i] = Float.NEGATIVE_INFINITY; // not reached: the first update takes any similarity
            bestFrom[i] = -1;
            bestExact[i] = Double.NaN;
        }
        int edges = 0;
        int u = 0;
        while (r > 0) {
            final int a = groupOf[u];
            final int lu = u - offset[a];
            for (int b = 0; b < groups; b++) {
                final int size = offset[b + 1] - offset[b];
                System.arraycopy(blocks[a * groups + b], lu * size, row, offset[b], size);
            }
            int next = -1;
            float nextSim = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < r; i++) {
                final int v = rest[i];
                final float s = normalizeZero(row[v]);
                float best = bestSim[i];
                if (s - best > margin) {
                    bestSim[i] = s;
                    bestFrom[i] = u;
                    bestExact[i] = Double.NaN;
                    best = s;
                } else if (!(best - s > margin)) {
                    final double e = exact.sim(u, v);
                    if (before(e, u, v, exactAt(i, exact), bestFrom[i], v)) {
                        bestSim[i] = s;
                        bestFrom[i] = u;
                        bestExact[i] = e;
                        best = s;
                    }
                }
                if (next < 0 || best - nextSim > margin) {
                    next = i;
                    nextSim = best;
                } else if (!(nextSim - best > margin)
                        && before(
                                exactAt(i, exact), bestFrom[i], v, exactAt(next, exact), bestFrom[next], rest[next])) {
                    next = i;
                    nextSim = best;
                }
            }
            final int v = rest[next];
            treeKeys[edges++] = key(bestSim[next], bestFrom[next], v) ^ Long.MIN_VALUE; // signed sort order
            r--;
            rest[next] = rest[r];
            bestSim[next] = bestSim[r];
            bestFrom[next] = bestFrom[r];
            bestExact[next] = bestExact[r];
            u = v;
        }
        return edges;
    }

    /** The float64 similarity of the best tree edge of the remaining vertex at position i, computed once. */
    private double exactAt(final int i, final ExactSimilarity exact) {
        if (Double.isNaN(bestExact[i])) {
            bestExact[i] = exact.sim(bestFrom[i], rest[i]);
        }
        return bestExact[i];
    }

    /**
     * Puts the tree edges around position {@code at} (sorted by float32 key) into the float64 order:
     * the run of edges whose consecutive float32 similarities are within the margin of each other
     * holds every edge whose order with the one at {@code at} is not certain.
     */
    private void reorderAround(final int at, final int edges, final float margin, final ExactSimilarity exact) {
        int lo = at;
        while (lo > 0 && !(treeSim[lo - 1] - treeSim[lo] > margin)) {
            lo--;
        }
        int hi = at + 1;
        while (hi < edges && !(treeSim[hi - 1] - treeSim[hi] > margin)) {
            hi++;
        }
        if (hi - lo < 2) {
            return;
        }
        if (groupOrder.length < hi - lo) {
            groupOrder = new Integer[hi - lo];
        }
        for (int e = lo; e < hi; e++) {
            treeExact[e] = exact.sim(treeFrom[e], treeTo[e]);
            groupOrder[e - lo] = e;
        }
        Arrays.sort(
                groupOrder,
                0,
                hi - lo,
                (x, y) -> before(treeExact[x], treeFrom[x], treeTo[x], treeExact[y], treeFrom[y], treeTo[y])
                        ? -1
                        : x.equals(y) ? 0 : 1);
        final int[] from = new int[hi - lo];
        final int[] to = new int[hi - lo];
        final float[] sims = new float[hi - lo];
        for (int p = 0; p < hi - lo; p++) {
            from[p] = treeFrom[groupOrder[p]];
            to[p] = treeTo[groupOrder[p]];
            sims[p] = treeSim[groupOrder[p]];
        }
        System.arraycopy(from, 0, treeFrom, lo, hi - lo);
        System.arraycopy(to, 0, treeTo, lo, hi - lo);
        System.arraycopy(sims, 0, treeSim, lo, hi - lo);
    }

    /**
     * The graph G of the edges ordered before edge {@code blocking} (a {@link #key}) in the certified
     * order: its components into {@link #parent} and its degrees into {@link #degree}.
     *
     * @return whether that edge is the blocking edge after {@code merges} merges: G has
     *     {@code n - merges} components and the edge joins two of them
     */
    private boolean componentsBefore(
            final int n,
            final int groups,
            final int[] offset,
            final float[][] blocks,
            final float margin,
            final ExactSimilarity exact,
            final long blocking,
            final int merges) {
        final int bi = (int) (blocking >>> 16) & 0xFFFF;
        final int bj = (int) blocking & 0xFFFF;
        final float bs = sim(blocks, groups, offset, bi, bj);
        final double be = exact.sim(bi, bj);
        final float hi = bs + margin;
        final float lo = bs - margin;
        for (int v = 0; v < n; v++) {
            parent[v] = v;
        }
        Arrays.fill(degree, 0, n, 0);
        int components = n;
        for (int u = 0; u < n; u++) {
            final int a = groupOf[u];
            final int lu = u - offset[a];
            for (int b = a; b < groups; b++) {
                final int v0 = offset[b];
                final int size = offset[b + 1] - v0;
                final float[] block = blocks[a * groups + b];
                final int row = lu * size - v0;
                for (int v = b == a ? u + 1 : v0; v < v0 + size; v++) {
                    final float s = block[row + v];
                    if (s > hi || s >= lo && before(exact.sim(u, v), u, v, be, bi, bj)) {
                        degree[u]++;
                        degree[v]++;
                        final int ru = find(u);
                        final int rv = find(v);
                        if (ru != rv) {
                            parent[ru] = rv;
                            components--;
                        }
                    }
                }
            }
        }
        return components == n - merges && find(bi) != find(bj);
    }

    /** Whether edge (a1, b1) with similarity s1 is ordered before edge (a2, b2) with s2. */
    private static boolean before(
            final double s1, final int a1, final int b1, final double s2, final int a2, final int b2) {
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
     * A key whose unsigned order is the float32 edge order: descending similarity, then i, then j.
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
            bestExact = new double[n];
            bestFrom = new int[n];
            groupOf = new int[n];
            rest = new int[n];
            row = new float[n];
            treeKeys = new long[n];
            treeFrom = new int[n];
            treeTo = new int[n];
            treeSim = new float[n];
            treeExact = new double[n];
            parent = new int[n];
            degree = new int[n];
            rootBest = new int[n];
            rankOfKey = new int[n];
        }
    }
}
