package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON of an interactive-query answer. */
class CompressorQueriesTest {

    @Test
    void windowJsonCarriesEveryMetadataFieldAndTokensOnlyWhenAsked() {
        final float[] video = TestFrames.video(7, 4);
        final int[] idx = TestFrames.range(0, 4);
        final WindowResult r = TestFrames.direct(ScissorParams.defaults(), video, idx, TestFrames.longs(idx));
        final CompressorConfig config = new CompressorConfig(
                Map.of("bootstrap.servers", "x:1", CompressorConfig.WINDOW_FRAMES, 4, CompressorConfig.HOP_FRAMES, 2));
        final CompressedWindow w =
                WindowRecords.toAvro("lobby", r, new long[] {10, 20, 30, 40}, config, EmitReason.HOP, 123);

        final ObjectNode json = CompressorQueries.toJson(w, false);
        for (final String field : List.of(
                "streamId",
                "firstSequence",
                "lastSequence",
                "firstTimestamp",
                "lastTimestamp",
                "frameCount",
                "frameSequences",
                "params",
                "stats",
                "emitReason",
                "tokenCount",
                "tokenDim",
                "mergedCounts",
                "firstFrame",
                "lastFrame",
                "meanRow",
                "meanCol")) {
            assertTrue(json.has(field), field);
        }
        assertFalse(json.has("tokens"));
        assertEquals("lobby", json.get("streamId").asText());
        assertEquals(40, json.get("lastTimestamp").asLong());
        assertEquals("HOP", json.get("emitReason").asText());
        assertEquals(r.tokenCount(), json.get("tokenCount").asInt());
        assertEquals(r.tokenCount(), json.get("mergedCounts").size());
        assertEquals(4, json.get("params").get("windowFrames").asInt());
        assertTrue(json.get("params").get("budget").isNull());
        assertEquals(123, json.get("stats").get("computeMicros").asLong());

        final byte[] bytes = Base64.getDecoder()
                .decode(CompressorQueries.toJson(w, true).get("tokens").asText());
        final float[] tokens = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(tokens);
        assertArrayEquals(r.tokens(), tokens, "little-endian float32, row-major");
        assertEquals("FLOAT32", json.get("dtype").asText());

        final CompressedWindow half = WindowRecords.toAvro(
                "lobby",
                r,
                new long[] {10, 20, 30, 40},
                config,
                EmitReason.HOP,
                123,
                dev.scissor.schemas.avro.TokenDtype.FLOAT16);
        final ObjectNode halfJson = CompressorQueries.toJson(half, true);
        assertEquals("FLOAT16", halfJson.get("dtype").asText());
        assertEquals(
                r.tokens().length * 2,
                Base64.getDecoder().decode(halfJson.get("tokens").asText()).length,
                "the raw float16 bytes");
    }
}
