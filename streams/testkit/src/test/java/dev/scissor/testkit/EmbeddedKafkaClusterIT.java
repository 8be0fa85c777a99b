package dev.scissor.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class EmbeddedKafkaClusterIT {

    static {
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.kafka", "warn");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.state.change.logger", "warn");
    }

    @Test
    void aBrokerStoppedAndStartedAgainWhileWritesGoOn() throws Exception {
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(3);
                KafkaProducer<String, String> producer = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers(),
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new StringSerializer(),
                        new StringSerializer())) {
            assertEquals(Set.of(0, 1, 2), kafka.brokerIds());
            kafka.createTopics(Map.of("t", 6));
            final TopicDescription t = kafka.admin()
                    .describeTopics(List.of("t"))
                    .allTopicNames()
                    .get(10, TimeUnit.SECONDS)
                    .get("t");
            t.partitions().forEach(p -> assertEquals(3, p.replicas().size(), "replication factor 3"));
            final Config config = kafka.admin()
                    .describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "t")))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .values()
                    .iterator()
                    .next();
            assertEquals("2", config.get("min.insync.replicas").value());
            assertEquals(
                    6,
                    kafka.leaderCounts(List.of("t")).values().stream()
                            .mapToInt(Integer::intValue)
                            .sum());

            final int leader = kafka.leaderOfMostPartitions(List.of("t"));
            final int most = kafka.leaderCounts(List.of("t")).get(leader);
            kafka.leaderCounts(List.of("t")).values().forEach(n -> assertTrue(n <= most));
            kafka.stopBroker(leader);
            assertFalse(kafka.leaderCounts(List.of("t")).containsKey(leader), "its leaderships moved");
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("t", "k" + i, "v")).get(30, TimeUnit.SECONDS);
            }
            kafka.startBroker(leader, Duration.ofSeconds(30));
            assertTrue(
                    kafka.admin().describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                            .anyMatch(n -> n.id() == leader),
                    "the broker is back");
            producer.send(new ProducerRecord<>("t", "after", "v")).get(30, TimeUnit.SECONDS);
            assertThrows(IllegalArgumentException.class, () -> kafka.stopBroker(99));
        }
    }
}
