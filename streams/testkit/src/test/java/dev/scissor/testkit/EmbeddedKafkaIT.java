package dev.scissor.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.kafka.KafkaTopics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EmbeddedKafkaIT {

    static {
        // The broker logs hundreds of INFO lines on start; keep Kafka's own loggers at WARN unless told otherwise.
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.kafka", "warn");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.state.change.logger", "warn");
    }

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void readCommittedConsumerSeesExactlyTheCommittedTransactions() {
        final String topic = "eos-frames";
        kafka.createTopic(topic, 3);
        final List<String> committed = new ArrayList<>();
        final List<String> aborted = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig("embedded-kafka-it-tx"))) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 6; i++) {
                send(producer, topic, i % 3, "committed-" + i, committed);
            }
            producer.commitTransaction();

            producer.beginTransaction();
            for (int i = 0; i < 3; i++) {
                send(producer, topic, i % 3, "aborted-" + i, aborted);
            }
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            for (int i = 6; i < 9; i++) {
                send(producer, topic, i % 3, "committed-" + i, committed);
            }
            producer.commitTransaction();
        }

        final List<ConsumerRecord<String, String>> readCommitted =
                readToEnd(topic, "read_committed", "embedded-kafka-it-readers");
        assertEquals(new TreeSet<>(committed), values(readCommitted));
        assertEquals(committed.size(), readCommitted.size(), "no duplicates");
        assertEquals(Set.of(0, 1, 2), partitions(readCommitted), "records on all 3 partitions");

        final Set<String> everything = values(readToEnd(topic, "read_uncommitted", null));
        assertTrue(everything.containsAll(aborted), "the aborted records were written: " + everything);
    }

    @Test
    void aStoppedBrokerStartsAgainOnTheSamePortWithItsData() throws Exception {
        final String topic = "restart";
        kafka.createTopic(topic, 1);
        final String bootstrap = kafka.bootstrapServers();
        final Map<String, Object> config = producerConfig("unused");
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            producer.send(new ProducerRecord<>(topic, "before")).get();
            kafka.stopBroker();
            kafka.startBroker(Duration.ofSeconds(30));
            // The same client reconnects to the same address; the record written before is still there.
            producer.send(new ProducerRecord<>(topic, "after")).get();
        }
        assertEquals(bootstrap, kafka.bootstrapServers());
        assertEquals(
                List.of("before", "after"),
                readToEnd(topic, "read_committed", null).stream()
                        .map(ConsumerRecord::value)
                        .toList());
    }

    @Test
    void createTopicIsIdempotentAndKeepsExistingTopics() throws Exception {
        kafka.createTopic("idempotent", 3);
        kafka.createTopic("idempotent", 3);
        kafka.createTopics(Map.of("idempotent", 3, "idempotent-other", 2));

        final Map<String, Integer> actual = KafkaTopics.ensure(
                kafka.admin(), Map.of("idempotent", 5, "idempotent-other", 2), (short) 1, Duration.ofSeconds(10));
        assertEquals(Map.of("idempotent", 3, "idempotent-other", 2), actual);
        assertEquals(
                3,
                kafka.admin()
                        .describeTopics(Set.of("idempotent"))
                        .allTopicNames()
                        .get()
                        .get("idempotent")
                        .partitions()
                        .size());
        assertTrue(kafka.admin().listTopics().names().get().containsAll(Set.of("idempotent", "idempotent-other")));
    }

    @Test
    void brokerHasTheSingleNodeSettings() throws Exception {
        final String nodeId = String.valueOf(
                kafka.admin().describeCluster().nodes().get().iterator().next().id());
        final ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, nodeId);
        final Config config =
                kafka.admin().describeConfigs(Set.of(broker)).all().get().get(broker);
        assertEquals("1", config.get("offsets.topic.replication.factor").value());
        assertEquals("1", config.get("transaction.state.log.replication.factor").value());
        assertEquals("1", config.get("transaction.state.log.min.isr").value());
        assertEquals("false", config.get("unstable.api.versions.enable").value());
    }

    @Test
    void createTopicRejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> kafka.createTopic("no-partitions", 0));
        assertThrows(IllegalArgumentException.class, () -> kafka.createTopic(" ", 1));
    }

    @Test
    void closeStopsTheClusterAndDeletesItsData() {
        final EmbeddedKafka other = EmbeddedKafka.start();
        final Path data = other.dataDirectory();
        try {
            assertNotEquals(kafka.bootstrapServers(), other.bootstrapServers());
            other.createTopic("doomed", 1);
            assertTrue(Files.isDirectory(data));
        } finally {
            other.close();
        }
        assertFalse(Files.exists(data), data + " is deleted");
        other.close();
        assertThrows(IllegalStateException.class, other::admin);
        assertThrows(IllegalStateException.class, () -> other.createTopic("after-close", 1));
    }

    @Test
    void failedStartExplainsAndCleansUp() {
        final IllegalStateException e = assertThrows(
                IllegalStateException.class, () -> EmbeddedKafka.start(Map.of("num.network.threads", "not-a-number")));
        assertTrue(e.getMessage().startsWith("embedded Kafka did not start"), e.getMessage());
        assertTrue(e.getMessage().contains("num.network.threads"), e.getMessage());
        final Matcher dir = Pattern.compile("\\(data directory (.+)\\)$").matcher(e.getMessage());
        assertTrue(dir.find(), e.getMessage());
        assertFalse(Files.exists(Paths.get(dir.group(1))), "the data directory of the failed start is deleted");
    }

    private static void send(
            final KafkaProducer<String, String> producer,
            final String topic,
            final int partition,
            final String value,
            final List<String> sent) {
        producer.send(new ProducerRecord<>(topic, partition, "key-" + partition, value));
        sent.add(value);
    }

    /** Reads every partition of the topic up to its end (the last stable offset under read_committed). */
    private static List<ConsumerRecord<String, String>> readToEnd(
            final String topic, final String isolation, final String group) {
        final Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (group != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        final List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            if (group != null) {
                consumer.subscribe(List.of(topic));
            } else {
                consumer.assign(partitions);
            }
            final long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            Map<TopicPartition, Long> end = null;
            while (true) {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                if (consumer.assignment().size() == partitions.size()) {
                    if (end == null) {
                        end = consumer.endOffsets(partitions);
                    }
                    final Map<TopicPartition, Long> endOffsets = end;
                    if (partitions.stream().allMatch(tp -> consumer.position(tp) >= endOffsets.get(tp))) {
                        return records;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("did not reach the end of " + topic + " (" + isolation + ") in "
                            + READ_TIMEOUT + "; end offsets " + end + ", read " + values(records));
                }
            }
        }
    }

    private static Map<String, Object> producerConfig(final String transactionalId) {
        final Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        return config;
    }

    private static Set<String> values(final List<ConsumerRecord<String, String>> records) {
        final Set<String> values = new TreeSet<>();
        records.forEach(r -> values.add(r.value()));
        return values;
    }

    private static Set<Integer> partitions(final List<ConsumerRecord<String, String>> records) {
        final Set<Integer> partitions = new TreeSet<>();
        records.forEach(r -> partitions.add(r.partition()));
        return partitions;
    }
}
