package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scissor.schemas.avro.TokenDtype;
import org.junit.jupiter.api.Test;

/** {@link StreamState}'s encoding: float32 streams as version 1 (as before float16), others as version 2. */
class StreamStateTest {

    private static StreamState state(final TokenDtype dtype) {
        final StreamState s = new StreamState(14, 14, 3584, "tower", dtype);
        s.addPending(7);
        s.appendToWindow(5, 500, 4);
        s.appendToWindow(6, 600, 4);
        s.sinceEmit = 1;
        s.emittedAny = true;
        s.windowsEmitted = 3;
        return s;
    }

    @Test
    void roundTripsBothDtypes() {
        for (final TokenDtype dtype : TokenDtype.values()) {
            final StreamState s = state(dtype);
            final byte[] bytes = s.encode();
            assertEquals(dtype == TokenDtype.FLOAT32 ? 1 : 2, bytes[0], "encoding version of " + dtype);
            final StreamState back = StreamState.decode(bytes);
            assertEquals(dtype, back.dtype);
            assertEquals(3584, back.dim);
            assertEquals("tower", back.modelId);
            assertArrayEquals(new long[] {5, 6}, back.windowSeqs);
            assertArrayEquals(new long[] {500, 600}, back.windowTimestamps);
            assertArrayEquals(new long[] {7}, back.pending);
            assertEquals(6, back.lastCommitted);
            assertEquals(3, back.windowsEmitted);
            assertArrayEquals(bytes, back.encode());
        }
    }

    @Test
    void float32StatesAreTheVersion1BytesOfBefore() {
        final byte[] v1 = state(TokenDtype.FLOAT32).encode();
        final byte[] v2 = state(TokenDtype.FLOAT16).encode();
        assertEquals(v1.length + 1, v2.length, "version 2 adds one dtype byte");
        assertEquals(TokenDtype.FLOAT16.ordinal(), v2[1 + 3 * 4]);
    }

    @Test
    void anUnknownDtypeOrVersionIsRejected() {
        final byte[] bytes = state(TokenDtype.FLOAT16).encode();
        bytes[1 + 3 * 4] = 9;
        assertThrows(IllegalStateException.class, () -> StreamState.decode(bytes));
        bytes[0] = 3;
        assertThrows(IllegalStateException.class, () -> StreamState.decode(bytes));
    }
}
