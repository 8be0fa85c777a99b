package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compressor against a real in-process KRaft broker: several streams over several partitions,
 * two instances of the application, one of them a child JVM that is killed (SIGKILL, mid-transaction)
 * and restarted. The windows topic, read with {@code read_committed}, must hold every expected window
 * exactly once, identical to the compressor called directly on the same frames; the killed instance's
 * tasks move to the other one, which restores their state from the changelogs. Odd streams are
 * float16 (stored as float16 in the frame store and its changelog, windows in float16), even ones
 * float32.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CompressorIT {

    private static final int STREAMS = 6;
    private static final int FRAMES = 40;
    private static final int W = 4;
    private static final int H = 2;
    private static final String APP = "scissor-it";

    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker(final EmbeddedKafka broker) {
        kafka = broker;
        kafka.createTopics(Map.of("tokens", 4, "windows", 4, "dlq", 2));
    }

    private Map<String, Object> settings(final Path stateDir) {
        final Map<String, Object> s = TestFrames.appSettings(kafka.bootstrapServers(), APP, stateDir, W, H);
        s.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        s.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500);
        return s;
    }

    /** Starts an instance in a child JVM through the command line, so that it can be killed for real. */
    private Process child(final Path stateDir, final Path log) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.scissor.cli.Main",
                "compressor"));
        for (final Map.Entry<String, Object> e : settings(stateDir).entrySet()) {
            cmd.add("--set");
            cmd.add(e.getKey() + "=" + e.getValue());
        }
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static boolean half(final int s) {
        return s % 2 == 1;
    }

    private static String stream(final int s) {
        return "camera-" + s;
    }

    private static void produce(
            final KafkaProducer<byte[], byte[]> producer, final float[][] videos, final int from, final int to) {
        for (int t = from; t < to; t++) {
            for (int s = 0; s < STREAMS; s++) {
                producer.send(new ProducerRecord<>(
                        "tokens",
                        stream(s).getBytes(StandardCharsets.UTF_8),
                        bytes(
                                half(s)
                                        ? TestFrames.halfFrame(stream(s), t, videos[s], t)
                                        : frame(stream(s), t, videos[s], t))));
            }
        }
        producer.flush();
    }

    private static int groupMembers() throws Exception {
        final ConsumerGroupDescription g = kafka.admin()
                .describeConsumerGroups(List.of(APP))
                .all()
                .get(10, TimeUnit.SECONDS)
                .get(APP);
        return g.groupState() == GroupState.STABLE ? g.members().size() : -1;
    }

    private static void await(final String what, final Duration timeout, final BooleanSupplier condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static boolean members(final int n) {
        try {
            return groupMembers() == n;
        } catch (final Exception e) {
            return false;
        }
    }

    @Test
    void killedAndRestartedInstanceLosesAndDuplicatesNothing() throws Exception {
        final float[][] videos = new float[STREAMS][];
        for (int s = 0; s < STREAMS; s++) {
            videos[s] = TestFrames.video(100 + s, FRAMES);
        }
        final Map<String, Object> producerProps = new HashMap<>();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        final Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader");
        final Path stateA = Files.createDirectories(dir.resolve("a"));
        final Path logA = Files.createDirectories(Path.of("target", "it-logs")).resolve("compressor-a.log");
        final List<ConsumerRecord<byte[], byte[]>> windows = new ArrayList<>();
        final List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
        final int expectedPerStream = (FRAMES - W) / H + 1;
        final AtomicLong restoredByB = new AtomicLong();

        Process a = child(stateA, logA);
        try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
                KafkaConsumer<byte[], byte[]> reader =
                        new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                CompressorApp b = new CompressorApp(new CompressorConfig(settings(dir.resolve("b"))))) {
            reader.subscribe(List.of("windows", "dlq"));
            b.streams().setGlobalStateRestoreListener(new StateRestoreListener() {
                @Override
                public void onRestoreStart(
                        final TopicPartition tp, final String store, final long start, final long end) {}

                @Override
                public void onBatchRestored(
                        final TopicPartition tp, final String store, final long end, final long restored) {
                    restoredByB.addAndGet(restored);
                }

                @Override
                public void onRestoreEnd(final TopicPartition tp, final String store, final long total) {}
            });
            // A first, so that it owns tasks before B joins (the assignor then splits them between two
            // caught-up instances) and its death really moves state.
            await("the first instance in the group", Duration.ofSeconds(60), () -> members(1));
            b.start();
            await("two instances in the group", Duration.ofSeconds(60), () -> members(2));

            produce(producer, videos, 0, 16);
            final long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (windows.size() < STREAMS * 3 && System.nanoTime() < until) {
                reader.poll(Duration.ofMillis(200)).forEach(r -> (r.topic().equals("dlq") ? dead : windows).add(r));
            }
            assertTrue(windows.size() >= STREAMS * 3, "windows flow before the kill: " + windows.size());

            produce(producer, videos, 16, 22);
            a.destroyForcibly().waitFor(); // SIGKILL, likely with a transaction open
            produce(producer, videos, 22, 30);
            producer.send(new ProducerRecord<>(
                    "tokens", stream(0).getBytes(StandardCharsets.UTF_8), "garbage".getBytes(StandardCharsets.UTF_8)));
            await("the survivor alone in the group", Duration.ofSeconds(60), () -> members(1));

            a = child(stateA, logA.resolveSibling("compressor-a-restarted.log"));
            await("the restarted instance back in the group", Duration.ofSeconds(60), () -> members(2));
            produce(producer, videos, 30, FRAMES);

            final long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (windows.size() < STREAMS * expectedPerStream && System.nanoTime() < end) {
                reader.poll(Duration.ofMillis(200)).forEach(r -> (r.topic().equals("dlq") ? dead : windows).add(r));
            }
            final long settle = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < settle) { // anything more would be a duplicate
                reader.poll(Duration.ofMillis(200)).forEach(r -> (r.topic().equals("dlq") ? dead : windows).add(r));
            }
        } finally {
            a.destroyForcibly().waitFor();
        }

        final Map<String, List<CompressedWindow>> byStream = new HashMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : windows) {
            final CompressedWindow w =
                    ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value());
            assertEquals(w.getStreamId(), new String(r.key(), StandardCharsets.UTF_8));
            byStream.computeIfAbsent(w.getStreamId(), k -> new ArrayList<>()).add(w);
        }
        final ScissorParams params = ScissorParams.defaults();
        for (int s = 0; s < STREAMS; s++) {
            final List<CompressedWindow> got = byStream.getOrDefault(stream(s), List.of());
            assertEquals(expectedPerStream, got.size(), stream(s) + ": every window exactly once");
            for (int k = 0; k < expectedPerStream; k++) {
                final int[] idx = TestFrames.range(k * H, k * H + W);
                final WindowResult expected = TestFrames.direct(
                        params, half(s) ? TestFrames.halfRounded(videos[s]) : videos[s], idx, TestFrames.longs(idx));
                final CompressedWindow actual = got.get(k);
                assertEquals(k * H, actual.getFirstSequence(), stream(s) + " window " + k);
                assertEquals(expected.tokenCount(), actual.getTokenCount());
                assertEquals(half(s) ? TokenDtype.FLOAT16 : TokenDtype.FLOAT32, actual.getDtype());
                assertTrue(
                        java.util.Arrays.equals(
                                half(s) ? TestFrames.halfRounded(expected.tokens()) : expected.tokens(),
                                TensorBytes.decode(actual)),
                        stream(s) + " window " + k + " tokens identical to an uninterrupted computation");
            }
        }
        assertTrue(restoredByB.get() > 0, "the survivor restored the killed instance's state from the changelogs");
        assertEquals(1, dead.size(), "the garbage record, once");
        assertEquals("UNDECODABLE", DeadLetters.header(dead.get(0).headers(), DeadLetters.REASON));
        assertTrue(new File(stateA.toFile(), APP).exists(), "instance A kept RocksDB state on disk");
    }
}
