package dev.scissor.compressor.steps;

/**
 * The temporal step of a window: groups the window's S spatial tokens (all frames' spatial tokens,
 * frame order, component order within a frame) into components, from similarities cached per pair of
 * frames. A frame pair's entries are computed once, when the newer frame is added (or at the next
 * {@link #update()}), and live until one of the two frames leaves the ring.
 */
public interface TemporalStep {

    /** Called before the ring drops its oldest frame. */
    void evicting();

    /**
     * Called after a frame was added to the ring.
     *
     * @param slot its ring slot
     */
    void added(int slot);

    /** Brings the pair cache up to date with every frame added so far. */
    void update();

    /**
     * Sets {@code matched[i]} for each spatial token i of the frame in slot f that has a temporal edge
     * ({@code cos > tau}) to a spatial token of the frame in slot g, the frame before it; the cache must
     * be up to date.
     *
     * @param f ring slot of the newer frame
     * @param g ring slot of the older frame
     * @param matched output, one entry per spatial token of frame f, false on entry
     */
    void linked(int f, int g, boolean[] matched);

    /**
     * The components of the window's spatial tokens; the cache must be up to date.
     *
     * @param window the window's frames
     * @param temporal output: the component of each global spatial token, in output order, [S]
     * @return the number of components M
     */
    int components(WindowLayout window, int[] temporal);

    /**
     * Time spent computing new frames' similarities since creation.
     *
     * @return nanoseconds
     */
    long nanos();
}
