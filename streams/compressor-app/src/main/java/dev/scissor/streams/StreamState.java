package dev.scissor.streams;

import dev.scissor.schemas.avro.TokenDtype;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the compressor remembers about one stream, in its state store (so in its changelog): the
 * stream's token shape and element type, the frames of the current window and of the reorder
 * buffer, and the hop count. The frames' tokens themselves live in the frame store, in the stream's
 * element type; the in-memory incremental window is rebuilt from these two after a restart or a
 * rebalance.
 *
 * <p>Encoding version 1 (float32 streams, as written before float16 existed) has no dtype;
 * version 2 adds it after the dim. Float32 streams are still written as version 1, so their state
 * stays readable by an older compressor.
 *
 * <p>Mutable, owned by the processor task that handles the stream.
 */
final class StreamState {

    private static final byte VERSION_FLOAT32 = 1;
    private static final byte VERSION_DTYPE = 2;
    static final long NONE = Long.MIN_VALUE;

    final int gridHeight;
    final int gridWidth;
    final int dim;
    final String modelId;
    final TokenDtype dtype;
    long lastCommitted = NONE;
    long maxSeen = NONE;
    int sinceEmit;
    boolean emittedAny;
    long windowsEmitted;
    /** Frames in the window, oldest first: sequence numbers and capture timestamps. */
    long[] windowSeqs = new long[0];

    long[] windowTimestamps = new long[0];
    /** Frames waiting in the reorder buffer, ascending. */
    long[] pending = new long[0];

    StreamState(
            final int gridHeight, final int gridWidth, final int dim, final String modelId, final TokenDtype dtype) {
        this.gridHeight = gridHeight;
        this.gridWidth = gridWidth;
        this.dim = dim;
        this.modelId = modelId;
        this.dtype = dtype;
    }

    int tokensPerFrame() {
        return gridHeight * gridWidth;
    }

    boolean inWindow(final long seq) {
        for (final long s : windowSeqs) {
            if (s == seq) {
                return true;
            }
        }
        return false;
    }

    boolean isPending(final long seq) {
        return Arrays.binarySearch(pending, seq) >= 0;
    }

    void addPending(final long seq) {
        final int at = -Arrays.binarySearch(pending, seq) - 1;
        final long[] next = new long[pending.length + 1];
        System.arraycopy(pending, 0, next, 0, at);
        next[at] = seq;
        System.arraycopy(pending, at, next, at + 1, pending.length - at);
        pending = next;
        maxSeen = Math.max(maxSeen, seq);
    }

    long removeFirstPending() {
        final long first = pending[0];
        pending = Arrays.copyOfRange(pending, 1, pending.length);
        return first;
    }

    /** Appends a frame to the window; returns the evicted frame's sequence, or {@link #NONE}. */
    long appendToWindow(final long seq, final long timestamp, final int capacity) {
        long evicted = NONE;
        if (windowSeqs.length == capacity) {
            evicted = windowSeqs[0];
            windowSeqs = Arrays.copyOfRange(windowSeqs, 1, capacity + 1);
            windowTimestamps = Arrays.copyOfRange(windowTimestamps, 1, capacity + 1);
        } else {
            windowSeqs = Arrays.copyOf(windowSeqs, windowSeqs.length + 1);
            windowTimestamps = Arrays.copyOf(windowTimestamps, windowTimestamps.length + 1);
        }
        windowSeqs[windowSeqs.length - 1] = seq;
        windowTimestamps[windowTimestamps.length - 1] = timestamp;
        lastCommitted = seq;
        sinceEmit++;
        return evicted;
    }

    byte[] encode() {
        final byte[] model = modelId.getBytes(StandardCharsets.UTF_8);
        final boolean float32 = dtype == TokenDtype.FLOAT32;
        final ByteBuffer b = ByteBuffer.allocate(1
                + 4 * 4
                + (float32 ? 0 : 1)
                + model.length
                + 8 * 3
                + 4
                + 1
                + 4
                + 16 * windowSeqs.length
                + 4
                + 8 * pending.length);
        b.put(float32 ? VERSION_FLOAT32 : VERSION_DTYPE)
                .putInt(gridHeight)
                .putInt(gridWidth)
                .putInt(dim);
        if (!float32) {
            b.put((byte) dtype.ordinal());
        }
        b.putInt(model.length).put(model);
        b.putLong(lastCommitted)
                .putLong(maxSeen)
                .putLong(windowsEmitted)
                .putInt(sinceEmit)
                .put((byte) (emittedAny ? 1 : 0));
        b.putInt(windowSeqs.length);
        for (int i = 0; i < windowSeqs.length; i++) {
            b.putLong(windowSeqs[i]).putLong(windowTimestamps[i]);
        }
        b.putInt(pending.length);
        for (final long p : pending) {
            b.putLong(p);
        }
        return b.array();
    }

    static StreamState decode(final byte[] bytes) {
        try {
            final ByteBuffer b = ByteBuffer.wrap(bytes);
            final byte version = b.get();
            if (version != VERSION_FLOAT32 && version != VERSION_DTYPE) {
                throw new IllegalStateException("stream state version " + version + " is not supported (expected "
                        + VERSION_FLOAT32 + " or " + VERSION_DTYPE + "); reset the application or run the version "
                        + "that wrote it");
            }
            final int gh = b.getInt();
            final int gw = b.getInt();
            final int d = b.getInt();
            final TokenDtype dtype = version == VERSION_FLOAT32
                    ? TokenDtype.FLOAT32
                    : TokenDtype.values()[checkedLength(b.get(), TokenDtype.values().length - 1)];
            final byte[] model = new byte[checkedLength(b.getInt(), b.remaining())];
            b.get(model);
            final StreamState s = new StreamState(gh, gw, d, new String(model, StandardCharsets.UTF_8), dtype);
            s.lastCommitted = b.getLong();
            s.maxSeen = b.getLong();
            s.windowsEmitted = b.getLong();
            s.sinceEmit = b.getInt();
            s.emittedAny = b.get() != 0;
            final int w = checkedLength(b.getInt(), b.remaining() / 16);
            s.windowSeqs = new long[w];
            s.windowTimestamps = new long[w];
            for (int i = 0; i < w; i++) {
                s.windowSeqs[i] = b.getLong();
                s.windowTimestamps[i] = b.getLong();
            }
            s.pending = new long[checkedLength(b.getInt(), b.remaining() / 8)];
            for (int i = 0; i < s.pending.length; i++) {
                s.pending[i] = b.getLong();
            }
            return s;
        } catch (final BufferUnderflowException e) {
            throw new IllegalStateException("truncated stream state (" + bytes.length + " bytes)", e);
        }
    }

    private static int checkedLength(final int length, final int max) {
        if (length < 0 || length > max) {
            throw new IllegalStateException("corrupt stream state: length " + length + " with " + max + " left");
        }
        return length;
    }
}
