package dev.scissor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.serve.ServeConfig;
import dev.scissor.streams.CompressorConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * Kafka TLS and SASL settings given to any app ({@code --config} / {@code --set}) reach its Kafka
 * clients unchanged, and their secrets never appear in what Scissor prints.
 */
class KafkaSecurityConfigTest {

    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"scissor\" password=\"jaas-s3cret\";";

    /** TLS with client certificates and SASL/SCRAM: every secret ends in "s3cret". */
    private static Map<String, Object> security() {
        final Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", "kafka-1:9093");
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "SCRAM-SHA-512");
        m.put("sasl.jaas.config", JAAS);
        m.put("ssl.truststore.location", "/etc/scissor/tls/truststore.p12");
        m.put("ssl.truststore.type", "PKCS12");
        m.put("ssl.truststore.password", "truststore-s3cret");
        m.put("ssl.keystore.location", "/etc/scissor/tls/keystore.p12");
        m.put("ssl.keystore.password", "keystore-s3cret");
        m.put("ssl.key.password", "key-s3cret");
        m.put("ssl.endpoint.identification.algorithm", "https");
        return m;
    }

    private static void assertForwarded(final Map<?, ?> client, final String where) {
        security().forEach((k, v) -> assertEquals(v, client.get(k), where + ": " + k));
    }

    @Test
    void captureForwardsTlsAndSaslToItsProducer() {
        final Map<String, Object> p = new HashMap<>(security());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        final CaptureConfig config = new CaptureConfig(p);
        assertForwarded(config.producerProperties(), "capture producer");
        assertValidFor(ProducerConfig.configNames(), config.producerProperties(), "capture producer");
        assertNoSecret(config.toString(), "CaptureConfig.toString");
    }

    @Test
    void encoderForwardsTlsAndSaslToBothClientsAndPrefixedOnesToOne() {
        final Map<String, Object> p = new HashMap<>(security());
        p.put("consumer.ssl.keystore.location", "/etc/scissor/tls/consumer.p12");
        final EncoderConfig config = new EncoderConfig(p);
        final Map<Object, Object> consumer = new HashMap<>(config.consumerProperties());
        final Map<Object, Object> producer = new HashMap<>(config.producerProperties());
        assertEquals("/etc/scissor/tls/consumer.p12", consumer.remove("ssl.keystore.location"));
        consumer.put("ssl.keystore.location", "/etc/scissor/tls/keystore.p12");
        assertForwarded(consumer, "encoder consumer");
        assertForwarded(producer, "encoder producer");
        assertEquals("/etc/scissor/tls/keystore.p12", producer.get("ssl.keystore.location"));
        assertNoSecret(config.toString(), "EncoderConfig.toString");
    }

    @Test
    void compressorForwardsTlsAndSaslToKafkaStreams() {
        final CompressorConfig config = new CompressorConfig(security());
        assertForwarded(config.streamsProperties(), "compressor streams");
        // Kafka Streams gives the bare keys to each of its clients.
        final StreamsConfig streams = new StreamsConfig(config.streamsProperties());
        for (final Map<String, Object> client : List.of(
                streams.getMainConsumerConfigs("g", "c", 0),
                streams.getRestoreConsumerConfigs("c"),
                streams.getProducerConfigs("c"),
                streams.getAdminConfigs("c"))) {
            assertEquals("SASL_SSL", client.get("security.protocol"));
            assertEquals("SCRAM-SHA-512", client.get("sasl.mechanism"));
            assertNotEquals(null, client.get("sasl.jaas.config"));
            assertNotEquals(null, client.get("ssl.truststore.password"));
        }
        assertNoSecret(config.toString(), "CompressorConfig.toString");
        assertNoSecret(streams.toString(), "StreamsConfig.toString");
    }

    @Test
    void serveForwardsTlsAndSaslToItsConsumer() {
        final ServeConfig config = new ServeConfig(security());
        assertForwarded(config.consumerProperties(), "serve consumer");
        final Map<String, Object> c = new HashMap<>(config.consumerProperties());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        assertValidFor(ConsumerConfig.configNames(), c, "serve consumer");
        assertNoSecret(config.toString(), "ServeConfig.toString");
    }

    /** What the commands print, for help, the config description and a rejected setting, holds no secret. */
    @Test
    void noCommandPrintsASecret() {
        final Map<String, String[]> commands = new java.util.LinkedHashMap<>();
        commands.put("capture", new String[] {"scissor.capture.fps=-1"});
        commands.put("encoder", new String[] {"scissor.encoder.batch.max=0"});
        commands.put("compressor", new String[] {"scissor.window.frames=0"});
        commands.put("serve", new String[] {"scissor.serve.port=-7"});
        for (final Map.Entry<String, String[]> e : commands.entrySet()) {
            for (final List<String> tail : List.of(
                    List.of("--describe-config"),
                    List.of("--help"),
                    List.of("--set", e.getValue()[0]),
                    List.of("--set", "scissor.no.such.key=1"))) {
                final List<String> args = new ArrayList<>();
                security().forEach((k, v) -> {
                    args.add("--set");
                    args.add(k + "=" + v);
                });
                args.addAll(tail);
                final String printed = run(e.getKey(), args.toArray(String[]::new));
                assertNoSecret(printed, "scissor " + e.getKey() + " " + tail);
            }
        }
    }

    private static String run(final String command, final String[] args) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            switch (command) {
                case "capture" -> CaptureCommand.run(args, ps, ps);
                case "encoder" -> EncoderCommand.run(args, ps, ps);
                case "compressor" -> CompressorCommand.run(args, ps, ps);
                case "serve" -> ServeCommand.run(args, ps, ps);
                default -> throw new AssertionError(command);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void assertNoSecret(final String text, final String where) {
        assertFalse(text.contains("s3cret"), where + " shows a secret:\n" + text);
    }

    private static void assertValidFor(final java.util.Set<String> known, final Map<?, ?> client, final String where) {
        for (final String k : List.of(
                "security.protocol",
                "sasl.mechanism",
                "sasl.jaas.config",
                "ssl.truststore.password",
                "ssl.keystore.password",
                "ssl.key.password")) {
            assertEquals(true, known.contains(k) && client.containsKey(k), where + ": " + k);
        }
    }
}
