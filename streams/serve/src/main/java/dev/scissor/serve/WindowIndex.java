package dev.scissor.serve;

import dev.scissor.consumer.Window;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The windows the QA service holds, per stream, in arrival order (the compressor emits a stream's
 * windows in order on one partition): the last {@code historyMs} of capture time before the
 * stream's newest window, at most {@code maxPerStream} windows, and at most {@code maxBytes} of
 * tokens over all streams (the oldest window of any stream goes first; every stream keeps its
 * newest). Thread-safe: the consumer
 * thread adds, HTTP threads read snapshots.
 */
public final class WindowIndex {

    /** A stream's summary. */
    public record StreamInfo(
            String streamId,
            int windows,
            long firstTimestampMs,
            long lastTimestampMs,
            long firstSequence,
            long lastSequence) {}

    private final long historyMs;
    private final int maxPerStream;
    private final long maxBytes;
    private long bytes;
    private long evictedForMemory;
    private final Map<String, Deque<Window>> streams = new TreeMap<>();
    private long total;

    /**
     * An empty index.
     *
     * @param historyMs how much capture time to keep per stream
     * @param maxPerStream the most windows kept per stream
     * @param maxBytes the most bytes of tokens kept over all streams
     */
    public WindowIndex(final long historyMs, final int maxPerStream, final long maxBytes) {
        this.historyMs = historyMs;
        this.maxPerStream = maxPerStream;
        this.maxBytes = maxBytes;
    }

    /**
     * Adds a window and evicts what fell out of the history.
     *
     * @param w the window
     */
    public synchronized void add(final Window w) {
        final Deque<Window> q = streams.computeIfAbsent(w.streamId(), k -> new ArrayDeque<>());
        q.addLast(w);
        bytes += bytes(w);
        total++;
        final long newest = q.peekLast().lastTimestampMs();
        while (q.size() > maxPerStream || (!q.isEmpty() && q.peekFirst().lastTimestampMs() < newest - historyMs)) {
            bytes -= bytes(q.removeFirst());
        }
        while (bytes > maxBytes) {
            Deque<Window> oldest = null;
            for (final Deque<Window> d : streams.values()) {
                if (d.size() > 1
                        && (oldest == null
                                || d.peekFirst().lastTimestampMs()
                                        < oldest.peekFirst().lastTimestampMs())) {
                    oldest = d;
                }
            }
            if (oldest == null) {
                break; // every stream is down to its newest window
            }
            bytes -= bytes(oldest.removeFirst());
            evictedForMemory++;
        }
    }

    /**
     * What a window's tokens may take: the record's elements, plus for a float16 window the float32 copy
     * that {@link Window#tokens()} decodes once and keeps (every /v1/find reads it).
     */
    static long bytes(final Window w) {
        final long elements = (long) w.tokenCount() * w.tokenDim();
        return w.dtype() == dev.scissor.schemas.avro.TokenDtype.FLOAT16
                ? elements * (2 + Float.BYTES)
                : elements * Float.BYTES;
    }

    /** Bytes of tokens held. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Windows dropped to stay within the byte limit (not by age or count). */
    public synchronized long evictedForMemory() {
        return evictedForMemory;
    }

    /**
     * A stream's windows, oldest first.
     *
     * @param streamId the stream
     * @return a snapshot (empty for an unknown stream)
     */
    public synchronized List<Window> windows(final String streamId) {
        final Deque<Window> q = streams.get(streamId);
        return q == null ? List.of() : List.copyOf(q);
    }

    /**
     * The windows of a stream that overlap the last {@code seconds} before its newest window's end.
     *
     * @param streamId the stream
     * @param seconds how far back
     * @return oldest first
     */
    public synchronized List<Window> lastSeconds(final String streamId, final double seconds) {
        final List<Window> all = windows(streamId);
        if (all.isEmpty()) {
            return all;
        }
        final long newest = all.get(all.size() - 1).lastTimestampMs();
        final long from = newest - Math.round(seconds * 1000);
        final List<Window> out = new ArrayList<>();
        for (final Window w : all) {
            if (w.lastTimestampMs() >= from) {
                out.add(w);
            }
        }
        return out;
    }

    /** Every stream's summary, by id. */
    public synchronized List<StreamInfo> streams() {
        final List<StreamInfo> out = new ArrayList<>();
        streams.forEach((id, q) -> {
            if (!q.isEmpty()) {
                out.add(new StreamInfo(
                        id,
                        q.size(),
                        q.peekFirst().firstTimestampMs(),
                        q.peekLast().lastTimestampMs(),
                        q.peekFirst().firstSequence(),
                        q.peekLast().lastSequence()));
            }
        });
        return out;
    }

    /** Windows held per stream. */
    public synchronized Map<String, Integer> counts() {
        final Map<String, Integer> out = new TreeMap<>();
        streams.forEach((id, q) -> out.put(id, q.size()));
        return out;
    }

    /** Windows held in all. */
    public synchronized int size() {
        return streams.values().stream().mapToInt(Deque::size).sum();
    }

    /** Windows ever added. */
    public synchronized long added() {
        return total;
    }
}
