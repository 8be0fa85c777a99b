package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.CompressionParams;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.schemas.avro.WindowStats;
import java.nio.ByteBuffer;
import java.util.List;

/** Sample records shared by the tests. */
final class TestRecords {

    static {
        // Copy builders and enum defaults resolve generated classes too (see AvroTrust), so every test
        // that uses these records works even when it runs alone, before any serde was created.
        AvroTrust.trustGeneratedClasses();
    }

    private TestRecords() {}

    static VideoFrame videoFrame() {
        return VideoFrame.newBuilder()
                .setStreamId("cam-1")
                .setSequence(42L)
                .setTimestamp(1_790_000_000_123L)
                .setWidth(4)
                .setHeight(2)
                .setPixelFormat("bgr24")
                .setImage(ByteBuffer.wrap(ramp(4 * 2 * 3)))
                .build();
    }

    static FrameTokens frameTokens() {
        final int gridH = 2;
        final int gridW = 3;
        final int dim = 4;
        final float[] values = new float[gridH * gridW * dim];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 1.5f;
        }
        return FrameTokens.newBuilder()
                .setStreamId("cam-1")
                .setSequence(42L)
                .setTimestamp(1_790_000_000_123L)
                .setGridHeight(gridH)
                .setGridWidth(gridW)
                .setTokenDim(dim)
                .setDtype(TokenDtype.FLOAT32)
                .setTensor(TensorBytes.toLittleEndian(values))
                .setModelId("siglip-so400m-patch14-384")
                .build();
    }

    static CompressedWindow compressedWindow() {
        final float[] tokens = {0.5f, -1f, 2f, 0f, 1e-3f, -7.25f}; // [3, 2]
        return CompressedWindow.newBuilder()
                .setStreamId("cam-1")
                .setFirstSequence(40L)
                .setLastSequence(44L)
                .setFirstTimestamp(1_790_000_000_000L)
                .setLastTimestamp(1_790_000_000_160L)
                .setFrameCount(4)
                .setFrameSequences(List.of(40L, 41L, 43L, 44L))
                .setParams(CompressionParams.newBuilder()
                        .setMode("refined")
                        .setTau(0.9)
                        .setEpsilon(0.05)
                        .setBudget(3)
                        .setRetention(null)
                        .setWindowFrames(4)
                        .setHopFrames(2)
                        .build())
                .setTokens(TensorBytes.toLittleEndian(tokens))
                .setTokenCount(3)
                .setTokenDim(2)
                .setMergedCounts(List.of(10, 1, 13))
                .setFirstFrame(List.of(40L, 41L, 40L))
                .setLastFrame(List.of(44L, 41L, 43L))
                .setMeanRow(List.of(0.5f, 1f, 3.25f))
                .setMeanCol(List.of(2f, 0f, 1.5f))
                .setStats(WindowStats.newBuilder()
                        .setTokensIn(24)
                        .setSpatialTokens(12)
                        .setTokensOut(3)
                        .setComputeMicros(1_234L)
                        .build())
                .setEmitReason(EmitReason.SCENE_CHANGE)
                .build();
    }

    static byte[] ramp(final int n) {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7);
        }
        return b;
    }
}
