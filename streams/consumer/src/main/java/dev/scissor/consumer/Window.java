package dev.scissor.consumer;

import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.CompressionParams;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.WindowStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An immutable, validated view of one {@link CompressedWindow}: the compressed visual tokens of a
 * window of frames of one stream, as read from the {@code windows} topic.
 *
 * <p>{@link #tokens()} of a float32 window is a read-only little-endian view over the record's
 * bytes, not a copy: a window of 1,000 tokens of dimension 4,096 costs no extra 16 MB. A float16
 * window ({@link #dtype()}, as written for exported VLM vision towers) gives the same read-only
 * float view, over a float32 copy decoded once on first use; {@link #token(int, int)} decodes
 * one value without that copy, and {@link #tokenBytes()} / {@link #halfTokens()} give the raw
 * little-endian elements to forward without decoding (for example as a float16 tensor). Token
 * {@code i} occupies elements {@code [i * tokenDim, (i + 1) * tokenDim)}. The per-token accessors ({@link #mergedCount(int)},
 * {@link #firstFrame(int)}, {@link #lastFrame(int)}, {@link #meanRow(int)}, {@link #meanCol(int)})
 * read the record's per-token arrays; windows written with schema v1 carry no coverage or position
 * arrays, and then {@link #hasTokenCoverage()} is false and those four accessors throw.
 *
 * <pre>{@code
 * Window w = Window.of(record);
 * FloatBuffer t = w.tokens();
 * for (int i = 0; i < w.tokenCount(); i++) {
 *     float first = t.get(i * w.tokenDim());   // first component of token i
 *     long from = w.firstFrame(i);             // the first frame it covers
 * }
 * }</pre>
 */
public final class Window {

    static {
        AvroTrust.trustGeneratedClasses(); // params() and stats() copy generated records
    }

    private final CompressedWindow record;
    private final ByteBuffer tokenBytes;
    private final boolean coverage;
    /** Float16 windows: the tokens widened to float32, decoded on first use of {@link #tokens()}. */
    private volatile float[] widened;

    private Window(final CompressedWindow record, final ByteBuffer tokenBytes, final boolean coverage) {
        this.record = record;
        this.tokenBytes = tokenBytes;
        this.coverage = coverage;
    }

    /**
     * Validates a record and wraps it. The record must not be changed afterwards (the view shares
     * its token bytes and arrays).
     *
     * @param record the record
     * @return the view
     * @throws IllegalArgumentException when the sizes are inconsistent: the token bytes are not
     *     {@code tokenCount * tokenDim * elementSize} (4 for float32, 2 for float16), a per-token array does not have {@code tokenCount}
     *     entries, or {@code frameSequences} does not have {@code frameCount}
     */
    public static Window of(final CompressedWindow record) {
        Objects.requireNonNull(record, "record");
        final String where = "window " + record.getFirstSequence() + "-" + record.getLastSequence() + " of stream '"
                + record.getStreamId() + "'";
        final int count = record.getTokenCount();
        final int dim = record.getTokenDim();
        if (count < 0 || dim < 0) {
            throw new IllegalArgumentException(
                    where + ": tokenCount " + count + " and tokenDim " + dim + " must not be negative");
        }
        final TokenDtype dtype = Objects.requireNonNull(record.getDtype(), "dtype");
        final int elementSize = TensorBytes.elementSize(dtype);
        final long expected = (long) count * dim * elementSize;
        final ByteBuffer bytes = record.getTokens();
        if (bytes == null || bytes.remaining() != expected) {
            throw new IllegalArgumentException(where + ": tokens has " + (bytes == null ? 0 : bytes.remaining())
                    + " bytes but tokenCount " + count + " x tokenDim " + dim + " x " + elementSize
                    + (dtype == TokenDtype.FLOAT32 ? "" : " (" + dtype + ")") + " = " + expected);
        }
        requireLength(where, "mergedCounts", record.getMergedCounts(), count);
        final boolean v1 = isEmpty(record.getFirstFrame())
                && isEmpty(record.getLastFrame())
                && isEmpty(record.getMeanRow())
                && isEmpty(record.getMeanCol());
        if (!v1 || count == 0) {
            requireLength(where, "firstFrame", record.getFirstFrame(), count);
            requireLength(where, "lastFrame", record.getLastFrame(), count);
            requireLength(where, "meanRow", record.getMeanRow(), count);
            requireLength(where, "meanCol", record.getMeanCol(), count);
        }
        requireLength(where, "frameSequences", record.getFrameSequences(), record.getFrameCount());
        if (record.getLastSequence() < record.getFirstSequence()) {
            throw new IllegalArgumentException(where + ": lastSequence is before firstSequence");
        }
        return new Window(record, bytes.slice().order(ByteOrder.LITTLE_ENDIAN), !v1 || count == 0);
    }

    private static boolean isEmpty(final List<?> list) {
        return list == null || list.isEmpty();
    }

    private static void requireLength(final String where, final String field, final List<?> list, final int n) {
        final int size = list == null ? 0 : list.size();
        if (size != n) {
            throw new IllegalArgumentException(where + ": " + field + " has " + size + " entries but "
                    + (field.equals("frameSequences") ? "frameCount is " : "tokenCount is ") + n);
        }
    }

    /** The record this view wraps (do not modify it). */
    public CompressedWindow record() {
        return record;
    }

    /** The stream's id (also the Kafka key). */
    public String streamId() {
        return record.getStreamId();
    }

    /** Sequence number of the window's first frame. */
    public long firstSequence() {
        return record.getFirstSequence();
    }

    /** Sequence number of the window's last frame (inclusive). */
    public long lastSequence() {
        return record.getLastSequence();
    }

    /** Capture time of the first frame, epoch milliseconds. */
    public long firstTimestampMs() {
        return record.getFirstTimestamp();
    }

    /** Capture time of the last frame, epoch milliseconds. */
    public long lastTimestampMs() {
        return record.getLastTimestamp();
    }

    /** Capture time of the first frame. */
    public Instant firstTimestamp() {
        return Instant.ofEpochMilli(record.getFirstTimestamp());
    }

    /** Capture time of the last frame. */
    public Instant lastTimestamp() {
        return Instant.ofEpochMilli(record.getLastTimestamp());
    }

    /** Sequence numbers of the frames in the window, ascending (read-only). */
    public List<Long> frameSequences() {
        return java.util.Collections.unmodifiableList(record.getFrameSequences());
    }

    /**
     * Whether the window includes a frame.
     *
     * @param sequence the frame's sequence number
     * @return true when {@code sequence} is one of {@link #frameSequences()}
     */
    public boolean containsFrame(final long sequence) {
        return record.getFrameSequences().contains(sequence);
    }

    /** The compression parameters (a copy). */
    public CompressionParams params() {
        return CompressionParams.newBuilder(record.getParams()).build();
    }

    /** Why the window was emitted. */
    public EmitReason emitReason() {
        return record.getEmitReason();
    }

    /** Token counts and compute cost (a copy). */
    public WindowStats stats() {
        return WindowStats.newBuilder(record.getStats()).build();
    }

    /** Number of output tokens. */
    public int tokenCount() {
        return record.getTokenCount();
    }

    /** Dimension of each token. */
    public int tokenDim() {
        return record.getTokenDim();
    }

    /** The element type of the tokens on the wire: FLOAT32, or FLOAT16 for exported VLM towers. */
    public TokenDtype dtype() {
        return record.getDtype();
    }

    /**
     * The token matrix {@code [tokenCount, tokenDim]}, row-major, as floats, positioned at 0. For a
     * float32 window it is a new read-only little-endian view over the record's bytes (no copy);
     * for a float16 window a new read-only view over one float32 copy of the tokens, decoded
     * exactly (every half is a float) on the first call and shared by later ones. Each call
     * returns an independent view, so callers on several threads do not share a position.
     *
     * @return the view
     */
    public FloatBuffer tokens() {
        if (dtype() == TokenDtype.FLOAT32) {
            return tokenBytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        float[] values = widened;
        if (values == null) {
            values = TensorBytes.readFloat16s(tokenBytes, tokenBytes.remaining() / TensorBytes.FLOAT16_BYTES);
            widened = values;
        }
        return FloatBuffer.wrap(values).asReadOnlyBuffer();
    }

    /**
     * The raw token elements as on the wire: a new read-only little-endian view over the record's
     * bytes (no copy), positioned at 0, {@code tokenCount * tokenDim} elements of {@link #dtype()}.
     * For forwarding the tokens without decoding them.
     *
     * @return the view
     */
    public ByteBuffer tokenBytes() {
        return tokenBytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The IEEE 754 half-precision bits of the tokens of a float16 window: a new read-only view over
     * the record's bytes (no copy), positioned at 0; widen one with {@link
     * TensorBytes#float16ToFloat(short)}.
     *
     * @return the view
     * @throws IllegalStateException for a float32 window
     */
    public ShortBuffer halfTokens() {
        if (dtype() != TokenDtype.FLOAT16) {
            throw new IllegalStateException(this + " has " + dtype() + " tokens, not FLOAT16: use tokens()");
        }
        return tokenBytes().asShortBuffer();
    }

    /**
     * One component of one token.
     *
     * @param token the token index
     * @param component the component index
     * @return the value
     */
    public float token(final int token, final int component) {
        Objects.checkIndex(token, tokenCount());
        Objects.checkIndex(component, tokenDim());
        final int index = token * tokenDim() + component;
        return dtype() == TokenDtype.FLOAT32
                ? tokenBytes.getFloat(index * Float.BYTES)
                : TensorBytes.float16ToFloat(tokenBytes.getShort(index * TensorBytes.FLOAT16_BYTES));
    }

    /**
     * How many original tokens were merged into a token.
     *
     * @param i the token index
     * @return at least 1
     */
    public int mergedCount(final int i) {
        return record.getMergedCounts().get(Objects.checkIndex(i, tokenCount()));
    }

    /** Whether the window carries per-token frame coverage and grid positions (schema v2). */
    public boolean hasTokenCoverage() {
        return coverage;
    }

    /**
     * The first frame a token covers.
     *
     * @param i the token index
     * @return its sequence number
     * @throws IllegalStateException for a v1 window without coverage
     */
    public long firstFrame(final int i) {
        return covered().getFirstFrame().get(Objects.checkIndex(i, tokenCount()));
    }

    /**
     * The last frame a token covers.
     *
     * @param i the token index
     * @return its sequence number
     * @throws IllegalStateException for a v1 window without coverage
     */
    public long lastFrame(final int i) {
        return covered().getLastFrame().get(Objects.checkIndex(i, tokenCount()));
    }

    /**
     * The mean patch-grid row of the tokens merged into a token.
     *
     * @param i the token index
     * @return the row
     * @throws IllegalStateException for a v1 window without positions
     */
    public float meanRow(final int i) {
        return covered().getMeanRow().get(Objects.checkIndex(i, tokenCount()));
    }

    /**
     * The mean patch-grid column of the tokens merged into a token.
     *
     * @param i the token index
     * @return the column
     * @throws IllegalStateException for a v1 window without positions
     */
    public float meanCol(final int i) {
        return covered().getMeanCol().get(Objects.checkIndex(i, tokenCount()));
    }

    private CompressedWindow covered() {
        if (!coverage) {
            throw new IllegalStateException("window " + firstSequence() + "-" + lastSequence() + " of stream '"
                    + streamId() + "' was written with schema v1: it has no per-token coverage or positions");
        }
        return record;
    }

    @Override
    public String toString() {
        return "Window[" + streamId() + " " + firstSequence() + "-" + lastSequence() + ", " + tokenCount() + "x"
                + tokenDim() + (dtype() == TokenDtype.FLOAT32 ? "" : " " + dtype()) + ", " + emitReason() + "]";
    }
}
