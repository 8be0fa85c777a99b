package dev.scissor.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void defaultNames() {
        assertEquals("frames", Topics.frames().name());
        assertEquals("tokens", Topics.tokens().name());
        assertEquals("windows", Topics.windows().name());
        assertEquals("dlq", Topics.dlq().name());
    }

    @Test
    void descriptorsCarryWorkingSerdesForStringKeysAndRecordValues() {
        final Topic<String, VideoFrame> frames = Topics.frames("cam-frames");
        assertEquals("cam-frames", frames.name());
        final byte[] key = frames.keySerde().serializer().serialize(frames.name(), "cam-1");
        assertArrayEquals("cam-1".getBytes(StandardCharsets.UTF_8), key);
        final VideoFrame frame = TestRecords.videoFrame();
        final byte[] value = frames.valueSerde().serializer().serialize(frames.name(), frame);
        assertEquals(frame, frames.valueSerde().deserializer().deserialize(frames.name(), value));

        final FrameTokens frameTokens = TestRecords.frameTokens();
        assertEquals(frameTokens, roundTrip(Topics.tokens(), frameTokens));
        final CompressedWindow window = TestRecords.compressedWindow();
        assertEquals(window, roundTrip(Topics.windows(), window));
    }

    @Test
    void deadLettersKeepRawBytes() {
        final Topic<byte[], byte[]> dlq = Topics.dlq();
        final byte[] poison = {(byte) 0xC3, 0x01, 0x02};
        assertArrayEquals(poison, dlq.valueSerde().serializer().serialize("dlq", poison));
        assertArrayEquals(poison, dlq.keySerde().deserializer().deserialize("dlq", poison));
    }

    @Test
    void withNameKeepsTheSerdes() {
        final Topic<String, VideoFrame> frames = Topics.frames();
        final Topic<String, VideoFrame> renamed = frames.withName("frames-v2");
        assertEquals("frames-v2", renamed.name());
        assertEquals(frames.keySerde(), renamed.keySerde());
        assertEquals(frames.valueSerde(), renamed.valueSerde());
    }

    private static <V> V roundTrip(final Topic<String, V> topic, final V value) {
        final byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        return topic.valueSerde().deserializer().deserialize(topic.name(), bytes);
    }

    @Test
    void rejectsBlankNamesAndMissingSerdes() {
        assertThrows(IllegalArgumentException.class, () -> Topics.frames(" "));
        assertThrows(NullPointerException.class, () -> Topics.windows(null));
        assertThrows(NullPointerException.class, () -> new Topic<String, String>("t", null, Serdes.String()));
    }
}
