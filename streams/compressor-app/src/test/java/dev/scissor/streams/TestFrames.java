package dev.scissor.streams;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.SlidingWindow;
import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.bench.SyntheticVideo;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.util.Arrays;

/** Token frames for the streams tests: a synthetic video of GRID x GRID tokens of dim DIM. */
final class TestFrames {

    static final int GRID = 4;
    static final int N = GRID * GRID;
    static final int DIM = 8;
    static final String MODEL = "test-encoder";

    static {
        AvroTrust.trustGeneratedClasses();
    }

    private TestFrames() {}

    /**
     * The settings of a compressor instance in the integration tests: one application over the
     * given broker, its own state directory, quick commits, windows of {@code w} frames every
     * {@code h}, its HTTP endpoint on a free port.
     */
    static java.util.Map<String, Object> appSettings(
            final String bootstrap, final String app, final java.nio.file.Path stateDir, final int w, final int h) {
        final java.util.Map<String, Object> s = new java.util.LinkedHashMap<>();
        s.put(org.apache.kafka.streams.StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        s.put(org.apache.kafka.streams.StreamsConfig.APPLICATION_ID_CONFIG, app);
        s.put(org.apache.kafka.streams.StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        s.put(org.apache.kafka.streams.StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        s.put(CompressorConfig.WINDOW_FRAMES, w);
        s.put(CompressorConfig.HOP_FRAMES, h);
        s.put(CompressorConfig.HTTP_PORT, 0);
        return s;
    }

    /** A video of {@code frames} frames, [T, N, D]. */
    static float[] video(final long seed, final int frames) {
        return SyntheticVideo.generate(seed, frames, GRID, DIM, 3, 0.3);
    }

    /** {@code count} standard normal values: tokens of a large dim that are nearly orthogonal, so none merge. */
    static float[] noise(final long seed, final int count) {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        final float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }

    /** Frame t of a video as a record of stream {@code stream} with sequence {@code seq}. */
    static FrameTokens frame(final String stream, final long seq, final float[] video, final int t) {
        return FrameTokens.newBuilder()
                .setStreamId(stream)
                .setSequence(seq)
                .setTimestamp(1_000L * seq)
                .setGridHeight(GRID)
                .setGridWidth(GRID)
                .setTokenDim(DIM)
                .setDtype(TokenDtype.FLOAT32)
                .setTensor(TensorBytes.toLittleEndian(video, t * N * DIM, N * DIM))
                .setModelId(MODEL)
                .build();
    }

    /** Frame t of a video as a float16 record (rounded to nearest even). */
    static FrameTokens halfFrame(final String stream, final long seq, final float[] video, final int t) {
        return FrameTokens.newBuilder(frame(stream, seq, video, t))
                .setDtype(TokenDtype.FLOAT16)
                .setTensor(TensorBytes.encode(video, t * N * DIM, N * DIM, TokenDtype.FLOAT16))
                .build();
    }

    /** Values as the compressor sees them after float16 rounding. */
    static float[] halfRounded(final float[] values) {
        return TensorBytes.decode(TensorBytes.encode(values, TokenDtype.FLOAT16), values.length, 1, TokenDtype.FLOAT16);
    }

    static byte[] bytes(final FrameTokens frame) {
        return ScissorSerdes.frameTokens().serializer().serialize("tokens", frame);
    }

    /**
     * What the compressor gives when called directly on these frames: a fresh window of exactly
     * these frames, emitted once.
     */
    static WindowResult direct(
            final ScissorParams params, final float[] video, final int[] frameIndexes, final long[] seqs) {
        final SlidingWindow w = new SlidingWindow(
                params, SampleOrders.seeded(params.seed()), N, DIM, GRID, frameIndexes.length, frameIndexes.length);
        for (int i = 0; i < frameIndexes.length; i++) {
            w.add(seqs[i], video, frameIndexes[i] * N * DIM);
        }
        return w.emit();
    }

    static int[] range(final int from, final int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    static long[] longs(final int[] values) {
        return Arrays.stream(values).asLongStream().toArray();
    }
}
