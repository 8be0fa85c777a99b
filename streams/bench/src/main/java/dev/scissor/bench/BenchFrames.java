package dev.scissor.bench;

import dev.scissor.compressor.bench.SyntheticVideo;
import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import dev.scissor.schemas.AvroSingleObjectSerde;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;

/**
 * The token frames, pre-encoded: each base frame's Avro tail (tensor bytes and model id) once; per
 * record only the small head is serialized and spliced in front. Stream s plays the base frames
 * forwards then backwards (a cycle of 2 (F - 1) frames), starting at its own phase.
 */
final class BenchFrames {

    static final int GRID = 14;
    private static final int N = GRID * GRID;
    /** The dimension of the source frames (the default encoder's). */
    static final int SOURCE_DIM = 816;

    private static final String MODEL = "bench-encoder";

    final String source;
    final int dim;
    final TokenDtype dtype;
    private final float[] video;
    private final int baseFrames;
    private final byte[][] tails;
    private final int tailCut;
    private final AvroSingleObjectSerde<FrameTokens> serde = ScissorSerdes.frameTokens();

    private BenchFrames(
            final float[] video, final int baseFrames, final int dim, final TokenDtype dtype, final String source) {
        this.source = source;
        this.baseFrames = baseFrames;
        this.dim = dim;
        this.dtype = dtype;
        this.video = video;
        final int DIM = dim;
        final byte[] model = MODEL.getBytes(StandardCharsets.UTF_8);
        final byte[] modelEnc = concat(zigzagVarint(model.length), model);
        // Serialized with an empty tensor, a record ends in varint(0) = 0x00 and the encoded model id.
        this.tailCut = 1 + modelEnc.length;
        this.tails = new byte[baseFrames][];
        final int len = N * DIM * TensorBytes.elementSize(dtype);
        for (int f = 0; f < baseFrames; f++) {
            final ByteBuffer tensor = TensorBytes.encode(video, f * N * DIM, N * DIM, dtype);
            final byte[] t = new byte[len];
            tensor.duplicate().get(t);
            tails[f] = concat(concat(zigzagVarint(len), t), modelEnc);
        }
        final byte[] probe = serde.serializer().serialize("tokens", head("camera-0", 0, 0));
        if (probe[probe.length - tailCut] != 0
                || !Arrays.equals(Arrays.copyOfRange(probe, probe.length - tailCut + 1, probe.length), modelEnc)) {
            throw new IllegalStateException("unexpected FrameTokens encoding: the tensor is not the second-"
                    + "to-last field; the pre-encoding needs updating");
        }
        // The spliced record must decode to exactly the frame.
        final FrameTokens back = serde.deserializer().deserialize("tokens", encode("camera-3", 12345, 678, 3));
        final int f = frameIndex(12345, 3);
        if (!back.getStreamId().equals("camera-3")
                || back.getSequence() != 12345
                || back.getTimestamp() != 678
                || !back.getModelId().equals(MODEL)
                || !Arrays.equals(TensorBytes.decode(back), expected(video, f * N * DIM, N * DIM, dtype))) {
            throw new IllegalStateException("a pre-encoded frame does not decode to its frame");
        }
    }

    /** What a frame's values are after a round trip through {@code dtype}. */
    private static float[] expected(final float[] video, final int off, final int len, final TokenDtype dtype) {
        final FrameTokens f = FrameTokens.newBuilder()
                .setStreamId("x")
                .setSequence(0)
                .setTimestamp(0)
                .setGridHeight(GRID)
                .setGridWidth(GRID)
                .setTokenDim(len / N)
                .setDtype(dtype)
                .setTensor(TensorBytes.encode(video, off, len, dtype))
                .setModelId(MODEL)
                .build();
        return TensorBytes.decode(f);
    }

    /**
     * The frames in a dimension and element type: the source frames at 816 dims, or mapped to {@code dim}
     * by a fixed random Gaussian matrix (entries N(0, 1/816), seeded; cosines kept in expectation: not real
     * tokens of that dimension, and the source line says so), written as {@code dtype}.
     */
    static BenchFrames load(final boolean synthetic, final int dim, final TokenDtype dtype) throws IOException {
        final BenchFrames f = load(synthetic);
        if (dim == SOURCE_DIM && dtype == TokenDtype.FLOAT32) {
            return f;
        }
        float[] video = f.video;
        String source = f.source;
        if (dim != SOURCE_DIM) {
            final java.util.SplittableRandom rnd = new java.util.SplittableRandom(0x5C155085L + dim);
            final float[] p = new float[dim * SOURCE_DIM];
            final double scale = 1.0 / Math.sqrt(SOURCE_DIM);
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) (rnd.nextGaussian() * scale);
            }
            final int rows = f.baseFrames * N;
            final float[] out = new float[rows * dim];
            dev.scissor.compressor.internal.Gemm.abt(
                    rows, dim, SOURCE_DIM, video, 0, SOURCE_DIM, p, 0, SOURCE_DIM, out, 0, dim);
            video = out;
            source += ", projected 816 -> " + dim + " dims by a fixed random matrix (not real " + dim + "-dim tokens)";
        }
        return new BenchFrames(video, f.baseFrames, dim, dtype, source);
    }

    /** The realistic golden video's frames (as {@code scissor bench} uses), else a synthetic video. */
    private static BenchFrames load(final boolean synthetic) throws IOException {
        if (!synthetic) {
            final String root = System.getProperty("scissor.repo.root", ".");
            for (Path p = Paths.get(root).toAbsolutePath(); p != null; p = p.getParent()) {
                final Path g =
                        p.resolve("../shared/golden/realistic_v1_input.npz").normalize();
                if (Files.exists(g)) {
                    final Map<String, NpyArray> z = Npy.readNpz(g);
                    final NpyArray q = z.get("input_q");
                    final int[] shape = q.shape();
                    if (shape.length != 3 || shape[1] != N || shape[2] != SOURCE_DIM) {
                        throw new IllegalArgumentException(g + ": input_q must be [T, " + N + ", " + SOURCE_DIM
                                + "], got " + Arrays.toString(shape));
                    }
                    final float[] v = q.toFloats();
                    final float scale = (float) z.get("input_scale").scalar();
                    for (int i = 0; i < v.length; i++) {
                        v[i] *= scale;
                    }
                    return new BenchFrames(
                            v,
                            shape[0],
                            SOURCE_DIM,
                            TokenDtype.FLOAT32,
                            "the realistic golden video (" + g.getFileName() + ", " + shape[0]
                                    + " frames played forwards and backwards)");
                }
            }
        }
        final int frames = 32;
        return new BenchFrames(
                SyntheticVideo.generate(7, frames, GRID, SOURCE_DIM, 9, 0.8),
                frames,
                SOURCE_DIM,
                TokenDtype.FLOAT32,
                "a synthetic video (" + frames + " frames played forwards and backwards)");
    }

    /** Base frame of a stream's sequence number: a forwards-backwards cycle, phase-shifted per stream. */
    private int frameIndex(final long seq, final int stream) {
        if (baseFrames == 1) {
            return 0;
        }
        final int period = 2 * (baseFrames - 1);
        final int k = (int) ((seq + 7L * stream) % period);
        return k < baseFrames ? k : period - k;
    }

    private FrameTokens head(final String stream, final long seq, final long timestamp) {
        return FrameTokens.newBuilder()
                .setStreamId(stream)
                .setSequence(seq)
                .setTimestamp(timestamp)
                .setGridHeight(GRID)
                .setGridWidth(GRID)
                .setTokenDim(dim)
                .setDtype(dtype)
                .setTensor(ByteBuffer.allocate(0))
                .setModelId(MODEL)
                .build();
    }

    /** The serialized FrameTokens record of a stream's frame. */
    byte[] encode(final String stream, final long seq, final long timestamp, final int streamIndex) {
        final byte[] head = serde.serializer().serialize("tokens", head(stream, seq, timestamp));
        final byte[] tail = tails[frameIndex(seq, streamIndex)];
        final int headLen = head.length - tailCut;
        final byte[] out = new byte[headLen + tail.length];
        System.arraycopy(head, 0, out, 0, headLen);
        System.arraycopy(tail, 0, out, headLen, tail.length);
        return out;
    }

    int recordBytes() {
        return tails[0].length + 40;
    }

    private static byte[] zigzagVarint(final long n) {
        long z = (n << 1) ^ (n >> 63);
        final byte[] buf = new byte[10];
        int i = 0;
        while ((z & ~0x7FL) != 0) {
            buf[i++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        buf[i++] = (byte) z;
        return Arrays.copyOf(buf, i);
    }

    private static byte[] concat(final byte[] a, final byte[] b) {
        final byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
