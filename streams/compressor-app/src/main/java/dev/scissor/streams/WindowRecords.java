package dev.scissor.streams;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.CompressionParams;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.WindowStats;
import java.util.ArrayList;
import java.util.List;

/** Builds the {@link CompressedWindow} record of a compressed window. */
public final class WindowRecords {

    private WindowRecords() {}

    /**
     * Converts a compressor result to its Avro record, with float32 tokens.
     *
     * @param streamId the stream
     * @param result the compressed window
     * @param timestamps capture time of each frame of the window, oldest first
     * @param config the compressor's configuration (parameters, window and hop)
     * @param reason why the window is emitted
     * @param computeMicros time spent on the window's frames and on the window itself
     * @return the record
     */
    public static CompressedWindow toAvro(
            final String streamId,
            final WindowResult result,
            final long[] timestamps,
            final CompressorConfig config,
            final EmitReason reason,
            final long computeMicros) {
        return toAvro(streamId, result, timestamps, config, reason, computeMicros, TokenDtype.FLOAT32);
    }

    /**
     * Converts a compressor result to its Avro record, its tokens in a given element type.
     *
     * @param streamId the stream
     * @param result the compressed window
     * @param timestamps capture time of each frame of the window, oldest first
     * @param config the compressor's configuration (parameters, window and hop)
     * @param reason why the window is emitted
     * @param computeMicros time spent on the window's frames and on the window itself
     * @param dtype the element type of the record's tokens (float16: rounded to nearest even)
     * @return the record
     */
    public static CompressedWindow toAvro(
            final String streamId,
            final WindowResult result,
            final long[] timestamps,
            final CompressorConfig config,
            final EmitReason reason,
            final long computeMicros,
            final TokenDtype dtype) {
        final int m = result.tokenCount();
        final List<Long> sequences = new ArrayList<>(result.frames());
        for (final long s : result.frameSeqs()) {
            sequences.add(s);
        }
        final List<Integer> merged = new ArrayList<>(m);
        final List<Long> first = new ArrayList<>(m);
        final List<Long> last = new ArrayList<>(m);
        final List<Float> rows = new ArrayList<>(m);
        final List<Float> cols = new ArrayList<>(m);
        for (int j = 0; j < m; j++) {
            merged.add(result.mergedCounts()[j]);
            first.add(result.firstFrameSeq()[j]);
            last.add(result.lastFrameSeq()[j]);
            rows.add(result.meanRow()[j]);
            cols.add(result.meanCol()[j]);
        }
        final ScissorParams p = config.params();
        final CompressionParams params = CompressionParams.newBuilder()
                .setMode(p.mode() == ScissorParams.Mode.REFINED ? "refined" : p.budget() == null ? "classic" : "budget")
                .setTau(p.tau())
                .setEpsilon(p.epsilon())
                .setBudget(
                        p.budget() == null || p.budget().tokens() == 0
                                ? null
                                : p.budget().tokens())
                .setRetention(
                        p.budget() == null || p.budget().retention() == 0.0
                                ? null
                                : p.budget().retention())
                .setWindowFrames(config.windowFrames())
                .setHopFrames(config.hopFrames())
                .build();
        return CompressedWindow.newBuilder()
                .setStreamId(streamId)
                .setFirstSequence(result.frameSeqs()[0])
                .setLastSequence(result.frameSeqs()[result.frames() - 1])
                .setFirstTimestamp(timestamps[0])
                .setLastTimestamp(timestamps[timestamps.length - 1])
                .setFrameCount(result.frames())
                .setFrameSequences(sequences)
                .setParams(params)
                .setTokens(TensorBytes.encode(result.tokens(), dtype))
                .setTokenCount(m)
                .setTokenDim(result.dim())
                .setMergedCounts(merged)
                .setFirstFrame(first)
                .setLastFrame(last)
                .setMeanRow(rows)
                .setMeanCol(cols)
                .setStats(WindowStats.newBuilder()
                        .setTokensIn(result.inputTokens())
                        .setSpatialTokens(result.spatialTokens())
                        .setTokensOut(m)
                        .setComputeMicros(computeMicros)
                        .build())
                .setEmitReason(reason)
                .setDtype(dtype)
                .build();
    }
}
