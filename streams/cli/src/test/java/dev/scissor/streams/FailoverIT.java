package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.compressor.bench.SyntheticVideo;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Failover time of the compressor: two instances share four live streams (synthetic token frames of 14x14 tokens
 * of dimension D, labelled synthetic: {@link SyntheticVideo}, at 2 fps per stream, W=4, H=2); one, a child JVM, is
 * killed with SIGKILL while frames keep coming. It logs the seconds from the kill to the first new window of every
 * stream that moved to the survivor, with and without a standby replica ({@code num.standby.replicas}), and how
 * many changelog records the survivor restored. The consumers' {@code session.timeout.ms} is 6 s here (Kafka's
 * default is 45 s, which adds to every figure).
 *
 * <p>It also checks what must hold whatever the timing: the survivor's interactive query ({@link LatestWindows})
 * answers only for the streams it owns, standby or not, and does answer for the moved streams after the failover;
 * and {@code windows} ({@code read_committed}) holds no window twice. The only timed assertion is a generous bound.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class FailoverIT {

    private static final int STREAMS = 4;
    private static final int PARTITIONS = 4;
    private static final int GRID = 14;
    private static final int W = 4;
    private static final int H = 2;
    private static final int LOOP_FRAMES = 8;
    private static final long FRAME_INTERVAL_MS = 500;
    private static final Duration BOUND = Duration.ofSeconds(90);

    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker(final EmbeddedKafka broker) {
        kafka = broker;
        AvroTrust.trustGeneratedClasses();
    }

    private record Case(int dim, int standbys) {
        String name() {
            return "failover-" + dim + "-" + standbys;
        }
    }

    private static Map<String, Object> settings(final Case c, final Path stateDir) {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        s.put(StreamsConfig.APPLICATION_ID_CONFIG, c.name());
        s.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        s.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        s.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, c.standbys());
        s.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        s.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500);
        s.put(CompressorConfig.TOKENS_TOPIC, c.name() + "-tokens");
        s.put(CompressorConfig.WINDOWS_TOPIC, c.name() + "-windows");
        s.put(CompressorConfig.DLQ_TOPIC, c.name() + "-dlq");
        s.put(CompressorConfig.WINDOW_FRAMES, W);
        s.put(CompressorConfig.HOP_FRAMES, H);
        s.put(CompressorConfig.HTTP_PORT, 0);
        return s;
    }

    private Process child(final Case c, final Path stateDir, final Path log) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.scissor.cli.Main",
                "compressor"));
        for (final Map.Entry<String, Object> e : settings(c, stateDir).entrySet()) {
            cmd.add("--set");
            cmd.add(e.getKey() + "=" + e.getValue());
        }
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Frames of every stream, one per stream every {@link #FRAME_INTERVAL_MS}, until closed. */
    private static final class LiveFrames implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile Exception failure;

        LiveFrames(final String topic, final int dim) {
            final Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            final float[][] videos = new float[STREAMS][];
            for (int s = 0; s < STREAMS; s++) {
                videos[s] = SyntheticVideo.generate(500 + s, LOOP_FRAMES, GRID, dim, 3, 0.3);
            }
            thread = new Thread(
                    () -> {
                        final int n = GRID * GRID;
                        try {
                            for (long seq = 0; running; seq++) {
                                final long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FRAME_INTERVAL_MS);
                                for (int s = 0; s < STREAMS; s++) {
                                    final int t = (int) (seq % LOOP_FRAMES);
                                    final FrameTokens f = FrameTokens.newBuilder()
                                            .setStreamId(stream(s))
                                            .setSequence(seq)
                                            .setTimestamp(System.currentTimeMillis())
                                            .setGridHeight(GRID)
                                            .setGridWidth(GRID)
                                            .setTokenDim(dim)
                                            .setDtype(TokenDtype.FLOAT32)
                                            .setTensor(TensorBytes.toLittleEndian(videos[s], t * n * dim, n * dim))
                                            .setModelId("synthetic")
                                            .build();
                                    producer.send(new ProducerRecord<>(
                                            topic,
                                            stream(s).getBytes(StandardCharsets.UTF_8),
                                            ScissorSerdes.frameTokens()
                                                    .serializer()
                                                    .serialize(topic, f)));
                                }
                                Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime())));
                            }
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (final Exception e) {
                            failure = e;
                        }
                    },
                    "failover-frames");
            thread.start();
        }

        @Override
        public void close() throws Exception {
            running = false;
            thread.join(10_000);
            producer.close(Duration.ofSeconds(10));
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** One stream in each partition, so that both instances own streams whichever partitions they get. */
    private static final List<String> STREAM_IDS = streamIds();

    private static List<String> streamIds() {
        final String[] ids = new String[PARTITIONS];
        for (int i = 0, found = 0; found < PARTITIONS; i++) {
            final int p = partition("cam-" + i);
            if (ids[p] == null) {
                ids[p] = "cam-" + i;
                found++;
            }
        }
        return List.of(ids);
    }

    private static String stream(final int s) {
        return STREAM_IDS.get(s);
    }

    private static int partition(final String stream) {
        return Utils.toPositive(Utils.murmur2(stream.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    @ParameterizedTest(name = "D={0}, standbys={1}")
    @CsvSource({"816,0", "816,1", "3584,0", "3584,1"})
    void survivorTakesOverTheKilledInstancesStreams(final int dim, final int standbys) throws Exception {
        final Case c = new Case(dim, standbys);
        kafka.createTopics(
                Map.of(c.name() + "-tokens", PARTITIONS, c.name() + "-windows", PARTITIONS, c.name() + "-dlq", 1));
        final Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        final Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, c.name() + "-reader");
        consumerProps.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20);
        final Map<String, Long> lastBeforeKill = new TreeMap<>();
        final Map<String, Long> firstAfterKillMs = new TreeMap<>();
        final Map<String, Set<Long>> seen = new TreeMap<>();
        final List<String> duplicates = new ArrayList<>();
        final AtomicLong restored = new AtomicLong();
        final Set<String> moved = new TreeSet<>();
        final double aloneSeconds;
        Process a = child(c, Files.createDirectories(dir.resolve("a")), logs.resolve(c.name() + "-a.log"));
        try (KafkaConsumer<byte[], byte[]> reader =
                        new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                CompressorApp b = new CompressorApp(new CompressorConfig(settings(c, dir.resolve("b"))))) {
            reader.subscribe(List.of(c.name() + "-windows"));
            b.streams().setGlobalStateRestoreListener(new StateRestoreListener() {
                @Override
                public void onRestoreStart(
                        final TopicPartition tp, final String store, final long start, final long end) {}

                @Override
                public void onBatchRestored(final TopicPartition tp, final String store, final long end, final long n) {
                    restored.addAndGet(n);
                }

                @Override
                public void onRestoreEnd(final TopicPartition tp, final String store, final long total) {}
            });
            await("the first instance in the group", Duration.ofSeconds(60), () -> members(c, 1));
            b.start();
            await("two instances in the group", Duration.ofSeconds(60), () -> members(c, 2));
            assertTrue(b.awaitRunning(Duration.ofSeconds(60)), "the survivor-to-be is running");
            try (LiveFrames frames = new LiveFrames(c.name() + "-tokens", dim)) {
                final long warm = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (seen.size() < STREAMS || seen.values().stream().anyMatch(v -> v.size() < 3)) {
                    assertTrue(System.nanoTime() < warm, "windows of every stream before the kill: " + seen.keySet());
                    poll(reader, seen, duplicates, null, 0L, null);
                }
                final Set<Integer> local = new HashSet<>();
                b.streams()
                        .metadataForLocalThreads()
                        .forEach(t -> t.activeTasks()
                                .forEach(task -> task.topicPartitions().forEach(tp -> local.add(tp.partition()))));
                for (int s = 0; s < STREAMS; s++) {
                    if (!local.contains(partition(stream(s)))) {
                        moved.add(stream(s));
                        assertTrue(
                                b.latestWindows().latest(stream(s)).isEmpty(),
                                stream(s) + " is queried only " + "where it is active, not on a standby");
                    }
                }
                assertTrue(!moved.isEmpty(), "the child owns some streams (the survivor owns " + local + ")");
                final long restoredBefore = restored.get();
                final long killed = System.nanoTime();
                a.destroyForcibly().waitFor();
                // Until the group has rebalanced the survivor owns none of the moved streams: what arrives till
                // then was committed by the killed instance.
                while (!members(c, 1)) {
                    assertTrue(System.nanoTime() < killed + BOUND.toNanos(), "the survivor alone in the group");
                    poll(reader, seen, duplicates, null, 0L, null);
                }
                aloneSeconds = (System.nanoTime() - killed) / 1e9;
                seen.forEach((s, v) -> lastBeforeKill.put(
                        s, v.stream().mapToLong(Long::longValue).max().orElse(-1)));
                final long end = killed + BOUND.toNanos();
                while (!firstAfterKillMs.keySet().containsAll(moved)) {
                    assertTrue(
                            System.nanoTime() < end,
                            "every moved stream " + moved + " has a window within " + BOUND.toSeconds()
                                    + " s of the kill: " + firstAfterKillMs);
                    poll(reader, seen, duplicates, lastBeforeKill, killed, firstAfterKillMs);
                }
                restored.addAndGet(-restoredBefore);
                for (final String s : moved) {
                    assertTrue(b.latestWindows().latest(s).isPresent(), s + " is queried on the survivor now");
                }
                final long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < settle) {
                    poll(reader, seen, duplicates, lastBeforeKill, killed, firstAfterKillMs);
                }
            }
        } finally {
            a.destroyForcibly().waitFor();
        }
        assertEquals(List.of(), duplicates, "no window twice in windows (read_committed)");
        final double failover =
                moved.stream().mapToLong(firstAfterKillMs::get).max().orElseThrow() / 1000.0;
        System.out.printf(
                java.util.Locale.ROOT,
                "failover D=%d standbys=%d: first window of every moved stream "
                        + "(%s) %.1f s after SIGKILL (per stream ms %s); survivor alone in the group after %.1f s; "
                        + "it restored %d changelog records%n",
                dim,
                standbys,
                moved,
                failover,
                firstAfterKillMs,
                aloneSeconds,
                restored.get());
    }

    /** Reads windows; records duplicates, and after the kill the first new window of each stream. */
    private static void poll(
            final KafkaConsumer<byte[], byte[]> reader,
            final Map<String, Set<Long>> seen,
            final List<String> duplicates,
            final Map<String, Long> lastBeforeKill,
            final long killedNanos,
            final Map<String, Long> firstAfterKillMs) {
        for (final ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(100))) {
            final CompressedWindow w =
                    ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value());
            final String s = w.getStreamId();
            if (!seen.computeIfAbsent(s, k -> new HashSet<>()).add(w.getFirstSequence())) {
                duplicates.add(s + "/" + w.getFirstSequence());
            }
            if (lastBeforeKill != null && w.getFirstSequence() > lastBeforeKill.getOrDefault(s, -1L)) {
                firstAfterKillMs.putIfAbsent(s, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNanos));
            }
        }
    }

    private static boolean members(final Case c, final int n) {
        try {
            final ConsumerGroupDescription g = kafka.admin()
                    .describeConsumerGroups(List.of(c.name()))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .get(c.name());
            return g.groupState() == GroupState.STABLE && g.members().size() == n;
        } catch (final Exception e) {
            return false;
        }
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
}
