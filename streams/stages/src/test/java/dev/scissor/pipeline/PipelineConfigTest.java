package dev.scissor.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.capture.CaptureOptions;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.schemas.avro.TokenDtype;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PipelineConfigTest {

    @Test
    void captureDefaultsAndProducerSettings() {
        final CaptureConfig c = new CaptureConfig(Map.of("bootstrap.servers", "b:9092", "linger.ms", "20"));
        assertEquals("frames", c.framesTopic());
        final CaptureOptions o = c.captureOptions();
        assertEquals(2.0, o.fps());
        assertEquals(640, o.maxWidth());
        assertTrue(o.realtime());
        assertEquals(-1, c.reconnectPolicy().maxAttempts());
        final Properties p = c.producerProperties();
        assertEquals(true, p.get("enable.idempotence"));
        assertEquals("all", p.get("acks"));
        assertEquals("20", p.get("linger.ms"));
        assertEquals("b:9092", p.get("bootstrap.servers"));
        assertFalse(p.containsKey(CaptureConfig.FPS));
    }

    @Test
    void captureRejectsBadValuesByName() {
        final ConfigException fps =
                assertThrows(ConfigException.class, () -> new CaptureConfig(Map.of(CaptureConfig.FPS, "-1")));
        assertTrue(fps.getMessage().contains(CaptureConfig.FPS), fps.getMessage());
        final ConfigException unknown =
                assertThrows(ConfigException.class, () -> new CaptureConfig(Map.of("scissor.capture.fsp", "2")));
        assertTrue(unknown.getMessage().contains("known keys"), unknown.getMessage());
        assertThrows(
                ConfigException.class,
                () -> new CaptureConfig(
                        Map.of(CaptureConfig.BACKOFF_MS, "5000", CaptureConfig.BACKOFF_MAX_MS, "1000")));
        assertTrue(CaptureConfig.describe().contains(CaptureConfig.FIRST_SEQUENCE));
    }

    @Test
    void encoderClientSettingsGoWhereTheyBelong() {
        final EncoderConfig c = new EncoderConfig(Map.of(
                "bootstrap.servers",
                "b:9092",
                "acks",
                "1",
                "max.poll.records",
                "10",
                "producer.linger.ms",
                "50",
                "consumer.fetch.min.bytes",
                "2",
                "group.id",
                "g1",
                EncoderConfig.INSTANCE_ID,
                "host-a"));
        final Properties consumer = c.consumerProperties();
        final Properties producer = c.producerProperties();
        assertEquals("b:9092", consumer.get("bootstrap.servers"));
        assertEquals("b:9092", producer.get("bootstrap.servers"));
        assertEquals("10", consumer.get("max.poll.records"));
        assertFalse(producer.containsKey("max.poll.records"));
        assertEquals("1", producer.get("acks"));
        assertFalse(consumer.containsKey("acks"));
        assertEquals("50", producer.get("linger.ms"));
        assertEquals("2", consumer.get("fetch.min.bytes"));
        assertEquals("read_committed", consumer.get("isolation.level"));
        assertEquals(false, consumer.get("enable.auto.commit"));
        assertEquals("g1-host-a", producer.get("transactional.id"));
        assertEquals("mnv2-nsfwjs", c.descriptor().id());
    }

    @Test
    void encoderDefaultsAndErrors() {
        final EncoderConfig c = new EncoderConfig(Map.of());
        assertEquals(8, c.batchMax());
        assertTrue(c.exactlyOnce());
        assertTrue(c.transactionalId().startsWith(EncoderConfig.DEFAULT_GROUP_ID + "-"));
        assertNotEquals(
                c.transactionalId(), new EncoderConfig(Map.of()).transactionalId(), "random instance ids differ");
        assertFalse(new EncoderConfig(Map.of(EncoderConfig.EXACTLY_ONCE, "false"))
                .producerProperties()
                .containsKey("transactional.id"));
        assertThrows(ConfigException.class, () -> new EncoderConfig(Map.of(EncoderConfig.BATCH_MAX, "0")));
        assertThrows(ConfigException.class, () -> new EncoderConfig(Map.of(EncoderConfig.DEVICE, "tpu")));
        assertThrows(ConfigException.class, () -> new EncoderConfig(Map.of(EncoderConfig.TOKENS_TOPIC, "frames")));
        assertThrows(
                ConfigException.class,
                () -> new EncoderConfig(Map.of(EncoderConfig.MODEL, "no-such-model")).descriptor());
        assertThrows(ConfigException.class, () -> new EncoderConfig(Map.of(EncoderConfig.TOKENS_DTYPE, "bfloat16")));
    }

    @Test
    void tokensDtypeComesFromTheDescriptorUnlessSet() {
        final EncoderModelDescriptor builtin = EncoderModelDescriptor.defaultDescriptor();
        final EncoderModelDescriptor tower = new EncoderModelDescriptor(
                        "tower",
                        "tower.onnx",
                        "pixel_values",
                        384,
                        384,
                        EncoderModelDescriptor.ChannelOrder.RGB,
                        builtin.normalization(),
                        "tokens",
                        EncoderModelDescriptor.OutputLayout.NTD,
                        14,
                        14,
                        3584)
                .withTokenDtype(EncoderModelDescriptor.TokenDtype.FLOAT16);
        final EncoderConfig unset = new EncoderConfig(Map.of());
        assertEquals(TokenDtype.FLOAT32, unset.tokensDtype(builtin), "built-in encoders stay float32");
        assertEquals(TokenDtype.FLOAT16, unset.tokensDtype(tower), "exported towers default to float16");
        final EncoderConfig f32 = new EncoderConfig(Map.of(EncoderConfig.TOKENS_DTYPE, "float32"));
        assertEquals(TokenDtype.FLOAT32, f32.tokensDtype(tower));
        final EncoderConfig f16 = new EncoderConfig(Map.of(EncoderConfig.TOKENS_DTYPE, "float16"));
        assertEquals(TokenDtype.FLOAT16, f16.tokensDtype(builtin));
        assertFalse(f16.producerProperties().containsKey(EncoderConfig.TOKENS_DTYPE), "not a Kafka client key");
    }
}
