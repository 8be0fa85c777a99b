package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class TransactionTimeoutDefaultTest {

    private static final String PRODUCER_TIMEOUT =
            StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);

    private static Properties props(final Map<String, Object> extra) {
        final Map<String, Object> s = new HashMap<>(extra);
        s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new CompressorConfig(s).streamsProperties();
    }

    private static Map<String, Object> refined() {
        final Map<String, Object> s = new HashMap<>();
        s.put(CompressorConfig.MODE, "refined");
        s.put(CompressorConfig.RETENTION, 0.1);
        return s;
    }

    @Test
    void classicModeKeepsKafkaStreamsExactlyOnceDefault() {
        assertNull(props(Map.of()).get(PRODUCER_TIMEOUT));
    }

    @Test
    void refinedModeAllowsSlowWindows() {
        assertEquals(
                CompressorConfig.REFINED_TRANSACTION_TIMEOUT_MS,
                props(refined()).get(PRODUCER_TIMEOUT));
    }

    @Test
    void anExplicitTimeoutWins() {
        final Map<String, Object> plain = refined();
        plain.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 20_000);
        final Properties p = props(plain);
        assertNull(p.get(PRODUCER_TIMEOUT));
        assertEquals(20_000, p.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
        final Map<String, Object> prefixed = refined();
        prefixed.put(PRODUCER_TIMEOUT, 30_000);
        assertEquals(30_000, props(prefixed).get(PRODUCER_TIMEOUT));
    }
}
