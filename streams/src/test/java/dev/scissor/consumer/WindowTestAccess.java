package dev.scissor.consumer;

import dev.scissor.schemas.avro.CompressedWindow;

/** Lets other test packages build the sample windows of {@link WindowTest}. */
public final class WindowTestAccess {

    private WindowTestAccess() {
    }

    /**
     * A sample window record (see {@code WindowTest.record}).
     *
     * @param stream the stream
     * @param first the first frame
     * @param count tokens
     * @param dim dimension
     * @return the builder
     */
    public static CompressedWindow.Builder record(final String stream, final long first, final int count,
                                                  final int dim) {
        return WindowTest.record(stream, first, count, dim);
    }
}
