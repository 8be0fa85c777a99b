package dev.scissor.consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.CompressionParams;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.WindowStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Window}: a validated zero-copy view. */
class WindowTest {

    /** A window of {@code count} tokens of dimension {@code dim}, token i component c = i * 100 + c. */
    static CompressedWindow.Builder record(final String stream, final long first, final int count, final int dim) {
        dev.scissor.schemas.AvroTrust.trustGeneratedClasses();
        final ByteBuffer bytes = ByteBuffer.allocate(count * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            for (int c = 0; c < dim; c++) {
                bytes.putFloat(i * 100f + c);
            }
        }
        bytes.flip();
        final List<Integer> merged = new ArrayList<>();
        final List<Long> firstFrame = new ArrayList<>();
        final List<Long> lastFrame = new ArrayList<>();
        final List<Float> rows = new ArrayList<>();
        final List<Float> cols = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            merged.add(i + 1);
            firstFrame.add(first + i % 4);
            lastFrame.add(first + 3);
            rows.add(i * 0.5f);
            cols.add(i * 0.25f);
        }
        return CompressedWindow.newBuilder()
                .setStreamId(stream)
                .setFirstSequence(first)
                .setLastSequence(first + 3)
                .setFirstTimestamp(1_795_000_000_000L + first * 500)
                .setLastTimestamp(1_795_000_000_000L + (first + 3) * 500)
                .setFrameCount(4)
                .setFrameSequences(List.of(first, first + 1, first + 2, first + 3))
                .setParams(CompressionParams.newBuilder()
                        .setMode("classic")
                        .setTau(0.9)
                        .setEpsilon(0.0)
                        .setWindowFrames(4)
                        .setHopFrames(4)
                        .build())
                .setTokens(bytes)
                .setTokenCount(count)
                .setTokenDim(dim)
                .setMergedCounts(merged)
                .setFirstFrame(firstFrame)
                .setLastFrame(lastFrame)
                .setMeanRow(rows)
                .setMeanCol(cols)
                .setStats(WindowStats.newBuilder()
                        .setTokensIn(4 * 196)
                        .setSpatialTokens(100)
                        .setTokensOut(count)
                        .setComputeMicros(1234)
                        .build())
                .setEmitReason(EmitReason.HOP);
    }

    /** {@link #record} with its tokens as float16 (all its values are exact halves below 2048). */
    static CompressedWindow.Builder halfRecord(final String stream, final long first, final int count, final int dim) {
        final CompressedWindow.Builder b = record(stream, first, count, dim);
        final float[] values = TensorBytes.decode(b.getTokens(), count, dim, TokenDtype.FLOAT32);
        return b.setDtype(TokenDtype.FLOAT16).setTokens(TensorBytes.encode(values, TokenDtype.FLOAT16));
    }

    @Test
    void float16WindowsGiveTheSameFloatViewAndTheirRawHalves() {
        final Window f32 = Window.of(record("cam", 40, 3, 5).build());
        final CompressedWindow record = halfRecord("cam", 40, 3, 5).build();
        final Window f16 = Window.of(record);
        assertEquals(TokenDtype.FLOAT32, f32.dtype());
        assertEquals(TokenDtype.FLOAT16, f16.dtype());
        final float[] a = new float[15];
        final float[] b = new float[15];
        f32.tokens().get(a);
        final FloatBuffer view = f16.tokens();
        assertTrue(view.isReadOnly());
        view.get(b);
        assertArrayEquals(a, b, "float16 windows decode to the same floats");
        assertEquals(0, f16.tokens().position(), "each call is an independent view");
        assertEquals(203f, f16.token(2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> f16.token(3, 0));

        final ByteBuffer raw = f16.tokenBytes();
        assertTrue(raw.isReadOnly());
        assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
        assertEquals(30, raw.remaining(), "2 bytes per value, not copied");
        assertEquals(record.getTokens(), raw);
        final ShortBuffer halves = f16.halfTokens();
        assertEquals(15, halves.remaining());
        assertEquals(0x5A60, halves.get(14) & 0xFFFF, "204 as a half");
        assertThrows(ReadOnlyBufferException.class, () -> halves.put(0, (short) 0));
        assertEquals(60, f32.tokenBytes().remaining());
        assertThrows(IllegalStateException.class, f32::halfTokens);
        assertTrue(f16.toString().contains("FLOAT16"), f16.toString());

        final IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Window.of(
                        record("cam", 40, 3, 5).setDtype(TokenDtype.FLOAT16).build()));
        assertTrue(
                e.getMessage().contains("tokens has 60 bytes but tokenCount 3 x tokenDim 5 x 2 (FLOAT16) = 30"),
                e.getMessage());
    }

    @Test
    void exposesTheRecordTyped() {
        final Window w = Window.of(record("cam", 40, 3, 5).build());
        assertEquals("cam", w.streamId());
        assertEquals(40, w.firstSequence());
        assertEquals(43, w.lastSequence());
        assertEquals(1_795_000_020_000L, w.firstTimestampMs());
        assertEquals(w.firstTimestampMs(), w.firstTimestamp().toEpochMilli());
        assertEquals(List.of(40L, 41L, 42L, 43L), w.frameSequences());
        assertTrue(w.containsFrame(42));
        assertEquals(3, w.tokenCount());
        assertEquals(5, w.tokenDim());
        assertEquals(EmitReason.HOP, w.emitReason());
        assertEquals(4 * 196, w.stats().getTokensIn());
        assertEquals(4, w.params().getWindowFrames());
        assertEquals(3, w.mergedCount(2));
        assertEquals(42, w.firstFrame(2));
        assertEquals(43, w.lastFrame(1));
        assertEquals(1.0f, w.meanRow(2));
        assertEquals(0.25f, w.meanCol(1));
        assertEquals(204f, w.token(2, 4));
        final FloatBuffer t = w.tokens();
        assertEquals(15, t.remaining());
        assertEquals(104f, t.get(9));
        assertThrows(IndexOutOfBoundsException.class, () -> w.mergedCount(3));
    }

    @Test
    void tokensAreAReadOnlyViewNotACopy() {
        final CompressedWindow rec = record("cam", 0, 2, 3).build();
        final Window w = Window.of(rec);
        final FloatBuffer view = w.tokens();
        assertTrue(view.isReadOnly());
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, 1f));
        // A write through the record's buffer shows through the view: they share the bytes.
        rec.getTokens().order(ByteOrder.LITTLE_ENDIAN).putFloat(rec.getTokens().position() + 4, 42f);
        assertEquals(42f, view.get(1));
        assertEquals(42f, w.tokens().get(1));
        // Independent positions per call.
        view.get();
        assertEquals(0, w.tokens().position());
    }

    @Test
    void rejectsInconsistentSizesWithClearMessages() {
        final CompressedWindow.Builder b = record("cam", 0, 2, 3);
        b.setTokens(ByteBuffer.allocate(20));
        final IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class, () -> Window.of(b.build()));
        assertEquals(
                "window 0-3 of stream 'cam': tokens has 20 bytes but tokenCount 2 x tokenDim 3 x 4 = 24",
                bytes.getMessage());

        final CompressedWindow.Builder m = record("cam", 0, 2, 3).setMergedCounts(List.of(1));
        assertEquals(
                "window 0-3 of stream 'cam': mergedCounts has 1 entries but tokenCount is 2",
                assertThrows(IllegalArgumentException.class, () -> Window.of(m.build()))
                        .getMessage());

        final CompressedWindow.Builder r = record("cam", 0, 2, 3).setMeanRow(List.of(1f, 2f, 3f));
        assertEquals(
                "window 0-3 of stream 'cam': meanRow has 3 entries but tokenCount is 2",
                assertThrows(IllegalArgumentException.class, () -> Window.of(r.build()))
                        .getMessage());

        final CompressedWindow.Builder f = record("cam", 0, 2, 3).setFrameCount(5);
        assertEquals(
                "window 0-3 of stream 'cam': frameSequences has 4 entries but frameCount is 5",
                assertThrows(IllegalArgumentException.class, () -> Window.of(f.build()))
                        .getMessage());
    }

    @Test
    void v1WindowsHaveNoCoverage() {
        final Window w = Window.of(record("cam", 0, 2, 3)
                .setFirstFrame(List.of())
                .setLastFrame(List.of())
                .setMeanRow(List.of())
                .setMeanCol(List.of())
                .build());
        assertFalse(w.hasTokenCoverage());
        assertEquals(2, w.mergedCount(1));
        assertTrue(assertThrows(IllegalStateException.class, () -> w.firstFrame(0))
                .getMessage()
                .contains("schema v1"));
    }
}
