package dev.scissor.compressor.internal;

/**
 * Connected components of a thresholded similarity graph given as bit rows, with the original's
 * sampling semantics and component order.
 *
 * <p>Only edges with at least one sampled endpoint are used (the original unions each sampled
 * vertex with its neighbours); vertices neither sampled nor adjacent to a sampled vertex become
 * singletons. Every vertex ends in exactly one component (exact partition). Components are ordered
 * by the index of their highest-degree member, ties to the lowest index; degree is the full row
 * count, self-loop included.
 */
public final class Components {

    private int[] queue = new int[0];
    private long[] unvisited = new long[0];
    private long[] sampledBits = new long[0];
    private int[] bestIdx = new int[0];
    private int[] bestDeg = new int[0];
    private int[] rankOfKey = new int[0];

    /**
     * Labels the components.
     *
     * @param bits adjacency rows, row v at {@code v * words}
     * @param n number of vertices
     * @param words words per row
     * @param sampled sampled vertices (k &lt; n), or {@code null} when every vertex is sampled
     * @param degree output: degree of each vertex (row popcount), length &ge; n
     * @param labels output: component index of each vertex in output order, length &ge; n
     * @return the number of components
     */
    public int label(
            final long[] bits,
            final int n,
            final int words,
            final int[] sampled,
            final int[] degree,
            final int[] labels) {
        ensure(n, words);
        for (int v = 0; v < n; v++) {
            degree[v] = Bits.count(bits, v * words, words);
        }
        final boolean all = sampled == null;
        java.util.Arrays.fill(sampledBits, 0, words, all ? -1L : 0L);
        if (!all) {
            for (final int s : sampled) {
                Bits.set(sampledBits, 0, s);
            }
        }
        java.util.Arrays.fill(unvisited, 0, words, -1L);
        if ((n & 63) != 0) {
            unvisited[words - 1] = (1L << (n & 63)) - 1;
        }
        int comps = 0;
        for (int start = 0; start < n; start++) {
            if (!Bits.get(unvisited, 0, start)) {
                continue;
            }
            final int c = comps++;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            unvisited[start >>> 6] &= ~(1L << start);
            int bIdx = start;
            int bDeg = degree[start];
            while (head < tail) {
                final int u = queue[head++];
                labels[u] = c;
                if (degree[u] > bDeg || (degree[u] == bDeg && u < bIdx)) {
                    bDeg = degree[u];
                    bIdx = u;
                }
                final boolean expandAll = Bits.get(sampledBits, 0, u);
                final int row = u * words;
                for (int w = 0; w < words; w++) {
                    long m = bits[row + w] & unvisited[w];
                    if (!expandAll) {
                        m &= sampledBits[w];
                    }
                    if (m == 0) {
                        continue;
                    }
                    unvisited[w] &= ~m;
                    while (m != 0) {
                        queue[tail++] = (w << 6) + Long.numberOfTrailingZeros(m);
                        m &= m - 1;
                    }
                }
            }
            bestIdx[c] = bIdx;
            bestDeg[c] = bDeg;
        }
        // Order components by key (unique: each vertex is in one component).
        java.util.Arrays.fill(rankOfKey, 0, n, -1);
        for (int c = 0; c < comps; c++) {
            rankOfKey[bestIdx[c]] = c;
        }
        final int[] newIndex = bestDeg; // reuse: component -> output index
        int r = 0;
        for (int key = 0; key < n; key++) {
            final int c = rankOfKey[key];
            if (c >= 0) {
                newIndex[c] = r++;
            }
        }
        for (int v = 0; v < n; v++) {
            labels[v] = newIndex[labels[v]];
        }
        return comps;
    }

    private void ensure(final int n, final int words) {
        if (queue.length < n) {
            queue = new int[n];
            bestIdx = new int[n];
            bestDeg = new int[n];
            rankOfKey = new int[n];
        }
        if (unvisited.length < words) {
            unvisited = new long[words];
            sampledBits = new long[words];
        }
    }
}
