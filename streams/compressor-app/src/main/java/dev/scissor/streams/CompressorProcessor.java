package dev.scissor.streams;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.SlidingWindow;
import dev.scissor.compressor.WindowResult;
import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.DeadLetters.Reason;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compressor: reads raw FrameTokens records, validates them, keeps each stream's window in
 * state stores and forwards a serialized CompressedWindow to {@link CompressorTopology#WINDOWS_SINK}
 * per hop (and per scene change in event mode), and every unusable record unchanged to {@link
 * CompressorTopology#DLQ_SINK}.
 *
 * <p>The stores are the truth: the stream's {@link StreamState} and the tokens of every frame in
 * its window or reorder buffer, kept as they came (float16 frames as float16, so the changelog copy
 * of a frame is no larger than its tokens record). The incremental {@link SlidingWindow} of each
 * stream is a cache derived from them, dropped on {@link #init} and rebuilt on first use, so a
 * restored or migrated task emits exactly what an uninterrupted one would.
 */
final class CompressorProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(CompressorProcessor.class);

    /** The most floats one stream's window may hold (its ring of W frames is one Java array). */
    static final long MAX_WINDOW_FLOATS = Integer.MAX_VALUE - 16;

    private final CompressorConfig config;
    private final CompressorMetrics metrics;
    private final AvroSingleObjectSerde<FrameTokens> tokensSerde = ScissorSerdes.frameTokens();
    private final AvroSingleObjectSerde<CompressedWindow> windowSerde = ScissorSerdes.compressedWindow();
    private final Map<String, Cached> windows = new HashMap<>();

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> states;
    private KeyValueStore<Bytes, byte[]> frames;
    private KeyValueStore<String, byte[]> latest;

    /** A stream's incremental window and the time its frames' spatial steps took since the last emit. */
    private static final class Cached {
        final SlidingWindow window;
        long spatialNanosAtEmit;

        Cached(final SlidingWindow window) {
            this.window = window;
        }
    }

    /** A rejected record: the reason and detail of its dead letter. */
    private static final class Rejected extends Exception {
        final Reason reason;

        Rejected(final Reason reason, final String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    CompressorProcessor(final CompressorConfig config) {
        this(config, new CompressorMetrics(new dev.scissor.metrics.Metrics()));
    }

    CompressorProcessor(final CompressorConfig config, final CompressorMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.states = context.getStateStore(CompressorTopology.STATE_STORE);
        this.frames = context.getStateStore(CompressorTopology.FRAME_STORE);
        this.latest = context.getStateStore(CompressorTopology.LATEST_STORE);
        windows.clear();
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        metrics.tokenFrames.increment();
        try {
            accept(record);
        } catch (final Rejected r) {
            deadLetter(record, r.reason, r.getMessage());
        } catch (final RuntimeException e) {
            final String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            LOG.error("Compressor failed on a record of stream {}; it goes to the dead-letter topic", key, e);
            windows.remove(key);
            deadLetter(record, Reason.PROCESSING_ERROR, e.toString());
        }
    }

    private void accept(final Record<byte[], byte[]> record) throws Rejected {
        final FrameTokens frame = decode(record);
        final String streamId = frame.getStreamId();
        final int gridH = frame.getGridHeight();
        final int gridW = frame.getGridWidth();
        final int dim = frame.getTokenDim();
        if (gridH < 1 || gridW < 1 || dim < 1) {
            throw new Rejected(
                    Reason.INVALID_SHAPE,
                    "token grid " + gridH + "x" + gridW + " with dim " + dim + ": every size must be at least 1");
        }
        final long tokens = (long) gridH * gridW;
        if (tokens > config.maxTokensPerFrame() || dim > config.maxTokenDim()) {
            throw new Rejected(
                    Reason.TOO_MANY_TOKENS,
                    "frame " + frame.getSequence() + " has " + tokens
                            + " tokens of dim " + dim + "; this compressor accepts at most "
                            + config.maxTokensPerFrame() + " tokens (" + CompressorConfig.MAX_TOKENS_PER_FRAME
                            + ") of dim " + config.maxTokenDim() + " (" + CompressorConfig.MAX_TOKEN_DIM + ")");
        }
        if (tokens * dim * config.windowFrames() > MAX_WINDOW_FLOATS) {
            throw new Rejected(
                    Reason.TOO_MANY_TOKENS,
                    "frame " + frame.getSequence() + ": a window of "
                            + config.windowFrames() + " frames of " + tokens + " tokens of dim " + dim + " needs "
                            + tokens * dim * config.windowFrames() + " floats, more than one window can hold ("
                            + MAX_WINDOW_FLOATS + "); lower " + CompressorConfig.WINDOW_FRAMES
                            + " or the encoder's grid");
        }
        final int elementSize = TensorBytes.elementSize(frame.getDtype());
        final int expected = TensorBytes.byteLength((int) tokens, dim, elementSize);
        final int actual = frame.getTensor().remaining();
        if (actual != expected) {
            throw new Rejected(
                    Reason.INVALID_SHAPE,
                    "frame " + frame.getSequence() + ": a " + gridH + "x" + gridW
                            + " grid of dim " + dim + " in " + frame.getDtype() + " needs " + tokens + " x " + dim
                            + " x "
                            + elementSize + " = " + expected + " tensor bytes, got " + actual
                            + lengthHint(actual, expected, frame.getDtype()));
        }
        final byte[] stored = states.get(streamId);
        StreamState state = stored == null ? null : StreamState.decode(stored);
        if (state != null) {
            if (state.gridHeight != gridH || state.gridWidth != gridW || state.dim != dim) {
                throw new Rejected(
                        Reason.DIMENSION_MISMATCH,
                        "frame " + frame.getSequence() + " has a " + gridH + "x"
                                + gridW + " grid of dim " + dim + ", but stream " + streamId + " has "
                                + state.gridHeight + "x"
                                + state.gridWidth + " of dim " + state.dim + "; use a new stream id for a new shape");
            }
            if (!state.modelId.equals(frame.getModelId())) {
                throw new Rejected(
                        Reason.MODEL_MISMATCH,
                        "frame " + frame.getSequence() + " comes from encoder '"
                                + frame.getModelId() + "', but stream " + streamId + " from '" + state.modelId
                                + "'; tokens of different models cannot be merged: use a new stream id");
            }
            if (state.dtype != frame.getDtype()) {
                throw new Rejected(
                        Reason.DTYPE_MISMATCH,
                        "frame " + frame.getSequence() + " has " + frame.getDtype()
                                + " tokens, but stream " + streamId + " has " + state.dtype
                                + "; a stream keeps one dtype "
                                + "(scissor.tokens.dtype of the encoder): use a new stream id to change it");
            }
        }
        final long seq = frame.getSequence();
        if (state != null && (state.inWindow(seq) || state.isPending(seq))) {
            throw new Rejected(Reason.DUPLICATE, "frame " + seq + " of stream " + streamId + " was already received");
        }
        if (state != null && state.lastCommitted != StreamState.NONE && seq <= state.lastCommitted) {
            throw new Rejected(
                    Reason.LATE,
                    "frame " + seq + " of stream " + streamId + " arrived after frame "
                            + state.lastCommitted + " was compressed (grace " + config.graceFrames() + " frames, "
                            + CompressorConfig.GRACE_FRAMES + ")");
        }
        final float[] values = TensorBytes.decode(frame);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new Rejected(
                        Reason.NON_FINITE,
                        "frame " + seq + " has " + values[i] + " at token " + (i / dim) + ", dim " + (i % dim)
                                + "; the encoder produced invalid output");
            }
        }
        if (state == null) {
            state = new StreamState(gridH, gridW, dim, frame.getModelId(), frame.getDtype());
        }
        final ByteBuffer value = ByteBuffer.allocate(Long.BYTES + expected).order(ByteOrder.LITTLE_ENDIAN);
        value.putLong(frame.getTimestamp());
        value.put(frame.getTensor().duplicate());
        frames.put(frameKey(streamId, seq), value.array());
        metrics.tokensIn.add(tokens);
        state.addPending(seq);
        release(record, streamId, state, seq, frame.getTimestamp(), values);
        states.put(streamId, state.encode());
    }

    /** Moves every frame whose grace has passed from the reorder buffer into the window, in order. */
    private void release(
            final Record<byte[], byte[]> record,
            final String streamId,
            final StreamState state,
            final long arrived,
            final long arrivedTimestamp,
            final float[] arrivedValues) {
        final int grace = config.graceFrames();
        while (state.pending.length > 0) {
            final long p = state.pending[0];
            final boolean next = state.lastCommitted != StreamState.NONE && p == state.lastCommitted + 1;
            if (!(grace == 0 || next || state.maxSeen - p >= grace)) {
                return;
            }
            state.removeFirstPending();
            final float[] values;
            final long timestamp;
            if (p == arrived) {
                values = arrivedValues;
                timestamp = arrivedTimestamp;
            } else {
                final byte[] stored = frames.get(frameKey(streamId, p));
                timestamp =
                        ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN).getLong();
                values = new float[state.tokensPerFrame() * state.dim];
                readTokens(stored, state.dtype, values);
            }
            final Cached cached = window(streamId, state);
            cached.window.add(p, values, 0);
            final long evicted = state.appendToWindow(p, timestamp, config.windowFrames());
            if (evicted != StreamState.NONE) {
                frames.delete(frameKey(streamId, evicted));
            }
            final boolean full = state.windowSeqs.length == config.windowFrames();
            if (full && (!state.emittedAny || state.sinceEmit >= config.hopFrames())) {
                emit(record, streamId, state, cached, EmitReason.HOP);
            } else if (config.emitMode() == CompressorConfig.EmitMode.EVENT
                    && state.windowSeqs.length >= config.sceneChangeMinFrames()
                    && cached.window.novelty() >= config.sceneChangeThreshold()) {
                emit(record, streamId, state, cached, EmitReason.SCENE_CHANGE);
            }
        }
    }

    /** The stream's incremental window, rebuilt from the frame store when the cache does not match the state. */
    private Cached window(final String streamId, final StreamState state) {
        final Cached cached = windows.get(streamId);
        if (cached != null
                && cached.window.size() == state.windowSeqs.length
                && (state.windowSeqs.length == 0 || cached.window.newestSeq() == state.lastCommitted)) {
            return cached;
        }
        final int n = state.tokensPerFrame();
        final SlidingWindow window = new SlidingWindow(
                config.params(),
                SampleOrders.seeded(config.params().seed()),
                n,
                state.dim,
                state.gridWidth,
                config.windowFrames(),
                config.hopFrames());
        final float[] values = new float[n * state.dim];
        for (final long seq : state.windowSeqs) {
            final byte[] stored = frames.get(frameKey(streamId, seq));
            if (stored == null) {
                throw new IllegalStateException("frame " + seq + " of stream " + streamId + " is missing from store "
                        + CompressorTopology.FRAME_STORE);
            }
            readTokens(stored, state.dtype, values);
            window.add(seq, values, 0);
        }
        if (state.windowSeqs.length > 0) {
            LOG.info("Rebuilt the window of stream {} from {} stored frames", streamId, state.windowSeqs.length);
        }
        final Cached fresh = new Cached(window);
        fresh.spatialNanosAtEmit = window.spatialNanos();
        windows.put(streamId, fresh);
        return fresh;
    }

    private void emit(
            final Record<byte[], byte[]> record,
            final String streamId,
            final StreamState state,
            final Cached cached,
            final EmitReason reason) {
        final WindowResult result = cached.window.emit();
        final long spatialNanos = cached.window.spatialNanos() - cached.spatialNanosAtEmit;
        cached.spatialNanosAtEmit = cached.window.spatialNanos();
        final long computeMicros = (result.computeNanos() + spatialNanos) / 1000;
        final CompressedWindow window = WindowRecords.toAvro(
                streamId,
                result,
                state.windowTimestamps,
                config,
                reason,
                computeMicros,
                config.windowsDtype(state.dtype));
        final byte[] bytes = windowSerde.serializer().serialize(config.windowsTopic(), window);
        latest.put(streamId, bytes);
        context.forward(new Record<>(record.key(), bytes, record.timestamp()), CompressorTopology.WINDOWS_SINK);
        state.sinceEmit = 0;
        state.emittedAny = true;
        state.windowsEmitted++;
        metrics.windowEmitted(
                reason,
                result.inputTokens(),
                result.tokenCount(),
                computeMicros,
                state.windowTimestamps[state.windowTimestamps.length - 1],
                System.currentTimeMillis());
    }

    private FrameTokens decode(final Record<byte[], byte[]> record) throws Rejected {
        final byte[] key = record.key();
        final byte[] value = record.value();
        if (value == null) {
            throw new Rejected(Reason.UNDECODABLE, "the record has no value; a FrameTokens record was expected");
        }
        final long fingerprint;
        try {
            fingerprint = AvroSingleObjectSerde.fingerprintOf(value);
        } catch (final SerializationException e) {
            throw new Rejected(Reason.UNDECODABLE, e.getMessage());
        }
        if (!tokensSerde.knownFingerprints().contains(fingerprint)) {
            throw new Rejected(
                    Reason.UNKNOWN_SCHEMA,
                    String.format(
                            "written with schema fingerprint 0x%016X, which "
                                    + "this compressor does not know (it reads %s); upgrade the compressor or the producer",
                            fingerprint,
                            tokensSerde.knownFingerprints().stream()
                                    .map(f -> String.format("0x%016X", f))
                                    .toList()));
        }
        final FrameTokens frame;
        try {
            frame = tokensSerde.deserializer().deserialize(config.tokensTopic(), value);
        } catch (final SerializationException e) {
            throw new Rejected(Reason.UNDECODABLE, e.getMessage());
        }
        if (key == null || !Arrays.equals(key, frame.getStreamId().getBytes(StandardCharsets.UTF_8))) {
            throw new Rejected(
                    Reason.KEY_MISMATCH,
                    "the record key "
                            + (key == null ? "is missing" : "'" + new String(key, StandardCharsets.UTF_8) + "'")
                            + " but the frame belongs to stream '" + frame.getStreamId()
                            + "'; producers must key records by stream id");
        }
        return frame;
    }

    private void deadLetter(final Record<byte[], byte[]> record, final Reason reason, final String detail) {
        metrics.deadLetter(reason);
        LOG.warn("Dead letter ({}): {}", reason, detail);
        context.forward(
                new Record<>(
                        record.key(),
                        record.value(),
                        record.timestamp(),
                        DeadLetters.headers(
                                record.headers(),
                                reason,
                                detail,
                                DeadLetters.COMPRESSOR_STAGE,
                                context.recordMetadata()
                                        .map(m -> new DeadLetters.Source(m.topic(), m.partition(), m.offset()))
                                        .orElse(null))),
                CompressorTopology.DLQ_SINK);
    }

    /** What a tensor length that does not match its shape probably is, or nothing. */
    private static String lengthHint(final int actual, final int expected, final TokenDtype dtype) {
        final int elementSize = TensorBytes.elementSize(dtype);
        if (actual % elementSize != 0) {
            return ", not a whole number of " + elementSize + "-byte values";
        }
        if (dtype == TokenDtype.FLOAT16 && (long) actual == 2L * expected) {
            return ": 4 bytes per value, float32 data labelled FLOAT16?";
        }
        if (dtype == TokenDtype.FLOAT32 && 2L * actual == expected) {
            return ": 2 bytes per value, float16 data labelled FLOAT32?";
        }
        return "";
    }

    /**
     * Decodes the tokens of a frame-store value (the capture timestamp, then the tensor in the
     * stream's dtype, little-endian) into {@code into}, whose length is the frame's value count.
     */
    static void readTokens(final byte[] stored, final TokenDtype dtype, final float[] into) {
        final ByteBuffer tensor =
                ByteBuffer.wrap(stored, Long.BYTES, stored.length - Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == TokenDtype.FLOAT32) {
            tensor.asFloatBuffer().get(into);
            return;
        }
        final ShortBuffer halves = tensor.asShortBuffer();
        for (int i = 0; i < into.length; i++) {
            into[i] = TensorBytes.float16ToFloat(halves.get(i));
        }
    }

    /** Key of a frame in the frame store: the stream id's UTF-8 bytes, then the sequence, big-endian. */
    static Bytes frameKey(final String streamId, final long seq) {
        final byte[] id = streamId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(
                ByteBuffer.allocate(id.length + Long.BYTES).put(id).putLong(seq).array());
    }
}
