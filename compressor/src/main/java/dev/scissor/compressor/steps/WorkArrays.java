package dev.scissor.compressor.steps;

/** Sizes of the steps' work arrays. */
final class WorkArrays {

    /** The largest array length the steps allocate. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

    private WorkArrays() {}

    /** The length of a work array, or a clear error when the window needs more than an array holds. */
    static int length(final long size) {
        if (size > MAX_ARRAY) {
            throw new IllegalStateException("this window needs a work array of " + size + " elements, more than a "
                    + "Java array holds; use fewer frames per window or fewer tokens per frame");
        }
        return (int) size;
    }
}
