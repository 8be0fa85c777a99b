package dev.scissor.compressor.internal;

import java.util.Arrays;

/**
 * Open-addressing map from a component's 128-bit member-set hash to the cache slot of its merge
 * column. No boxing; cleared and refilled once per emitted window.
 */
public final class SlotTable {

    private long[] h1 = new long[16];
    private long[] h2 = new long[16];
    private int[] slot = new int[16];
    private boolean[] used = new boolean[16];
    private int size;

    public void clear(final int expected) {
        int cap = 16;
        while (cap < expected * 2) {
            cap <<= 1;
        }
        if (cap > used.length) {
            h1 = new long[cap];
            h2 = new long[cap];
            slot = new int[cap];
            used = new boolean[cap];
        } else {
            Arrays.fill(used, false);
        }
        size = 0;
    }

    public void put(final long a, final long b, final int s) {
        final int mask = used.length - 1;
        int i = (int) (a ^ (a >>> 32)) & mask;
        while (used[i]) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        h1[i] = a;
        h2[i] = b;
        slot[i] = s;
        size++;
    }

    /** The slot of (a, b), or -1. */
    public int get(final long a, final long b) {
        if (size == 0) {
            return -1;
        }
        final int mask = used.length - 1;
        int i = (int) (a ^ (a >>> 32)) & mask;
        while (used[i]) {
            if (h1[i] == a && h2[i] == b) {
                return slot[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }
}
