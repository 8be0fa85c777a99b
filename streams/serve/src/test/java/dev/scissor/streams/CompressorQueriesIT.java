package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import dev.scissor.schemas.DeadLetters;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.serve.QaService;
import dev.scissor.serve.ServeConfig;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interactive queries and metrics of two compressor instances in one JVM against a real in-process
 * broker: every instance answers {@code GET /v1/streams/{id}/windows/latest} for every stream,
 * from its own store or forwarded to the owner ({@code servedBy} names the owner), equal to the
 * stream's last window on the windows topic ({@code read_committed}); an unknown stream is 404,
 * a query before the instance runs is 503 with {@code Retry-After}. The instances' {@code /metrics},
 * scraped over HTTP and summed, count exactly the token frames, windows, dead letters and
 * end-to-end latencies processed.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CompressorQueriesIT {

    /** Every instance and the QA service require this bearer token (SCISSOR_HTTP_TOKEN in production). */
    private static final String TOKEN = "it-token";

    private static final int STREAMS = 6;
    private static final int FRAMES = 12;
    private static final int W = 4;
    private static final int H = 2;
    private static final int WINDOWS_PER_STREAM = (FRAMES - W) / H + 1;
    private static final String APP = "scissor-queries-it";

    private static EmbeddedKafka kafka;
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @BeforeAll
    static void broker(final EmbeddedKafka broker) {
        kafka = broker;
        kafka.createTopics(Map.of("tokens", 4, "windows", 4, "dlq", 1));
    }

    private Map<String, Object> settings(final Path stateDir) {
        final Map<String, Object> s = TestFrames.appSettings(kafka.bootstrapServers(), APP, stateDir, W, H);
        s.put(CompressorConfig.HTTP_ADVERTISED_HOST, "localhost");
        return s;
    }

    private static String stream(final int s) {
        return "cam-" + s;
    }

    private HttpResponse<String> get(final HttpService http, final String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + http.port() + path))
                        .header("Authorization", HttpService.bearer(TOKEN))
                        .timeout(Duration.ofSeconds(20))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** GET, retried while the answer is 503 (rebalancing). */
    private HttpResponse<String> getSettled(final HttpService http, final String path) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r = get(http, path);
        while (r.statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            r = get(http, path);
        }
        return r;
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static boolean bothOwnPartitions(final CompressorApp a, final CompressorApp b) {
        if (a.state() != KafkaStreams.State.RUNNING || b.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        final var all = a.streams().metadataForAllStreamsClients();
        return all.size() == 2
                && all.stream().allMatch(m -> !m.topicPartitions().isEmpty())
                && all.stream().mapToInt(m -> m.topicPartitions().size()).sum() == 4;
    }

    /** Prometheus text to {@code name{labels}} -> value (comments dropped). */
    private static Map<String, Double> parse(final String text) {
        final Map<String, Double> out = new HashMap<>();
        for (final String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final int space = line.lastIndexOf(' ');
            out.put(
                    line.substring(0, space),
                    Double.parseDouble(line.substring(space + 1).replace("+Inf", "Infinity")));
        }
        return out;
    }

    private Map<String, Double> scrapeSum(final HttpService... https) throws Exception {
        final Map<String, Double> sum = new HashMap<>();
        for (final HttpService h : https) {
            final HttpResponse<String> r = get(h, "/metrics");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            parse(r.body()).forEach((k, v) -> sum.merge(k, v, Double::sum));
        }
        return sum;
    }

    @Test
    void everyInstanceAnswersForEveryStreamAndCountsWhatItProcessed() throws Exception {
        final Map<String, Object> producerProps = new HashMap<>();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        final Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "queries-it-reader");

        try (HttpService httpA =
                        HttpService.start("a", "127.0.0.1", 0, 4, 1 << 16).requireBearer(TOKEN);
                HttpService httpB =
                        HttpService.start("b", "127.0.0.1", 0, 4, 1 << 16).requireBearer(TOKEN);
                CompressorApp a = new CompressorApp(new CompressorConfig(settings(dir.resolve("a"))), httpA);
                CompressorApp b = new CompressorApp(new CompressorConfig(settings(dir.resolve("b"))), httpB);
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
                KafkaConsumer<byte[], byte[]> reader =
                        new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assertEquals("localhost:" + httpA.port(), a.applicationServer());

            // Not started: no owner is known yet.
            final HttpResponse<String> early = get(httpA, "/v1/streams/" + stream(0) + "/windows/latest");
            assertEquals(503, early.statusCode(), early.body());
            assertEquals("1", early.headers().firstValue("Retry-After").orElse(null));
            assertTrue(HttpService.JSON.readTree(early.body()).has("error"));
            // Without the token only GET /metrics answers.
            final HttpResponse<String> anonymous = client.send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + httpA.port() + "/v1/streams/" + stream(0)
                                    + "/windows/latest"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode(), anonymous.body());
            assertEquals(
                    200,
                    client.send(
                                    HttpRequest.newBuilder(URI.create("http://localhost:" + httpA.port() + "/metrics"))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());

            a.start();
            b.start();
            await("both instances running with the partitions split", () -> bothOwnPartitions(a, b));

            final float[][] videos = new float[STREAMS][];
            for (int s = 0; s < STREAMS; s++) {
                videos[s] = TestFrames.video(300 + s, FRAMES);
            }
            for (int t = 0; t < FRAMES; t++) {
                for (int s = 0; s < STREAMS; s++) {
                    final FrameTokens f = FrameTokens.newBuilder(frame(stream(s), t, videos[s], t))
                            .setTimestamp(System.currentTimeMillis())
                            .build();
                    producer.send(new ProducerRecord<>("tokens", stream(s).getBytes(StandardCharsets.UTF_8), bytes(f)));
                }
            }
            producer.send(new ProducerRecord<>(
                    "tokens", stream(0).getBytes(StandardCharsets.UTF_8), "garbage".getBytes(StandardCharsets.UTF_8)));
            producer.flush();

            reader.subscribe(List.of("windows"));
            final Map<String, CompressedWindow> last = new HashMap<>();
            int windows = 0;
            long tokensOut = 0;
            final long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (windows < STREAMS * WINDOWS_PER_STREAM && System.nanoTime() < until) {
                for (final ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    final CompressedWindow w =
                            ScissorSerdes.compressedWindow().deserializer().deserialize("windows", r.value());
                    windows++;
                    tokensOut += w.getTokenCount();
                    last.merge(w.getStreamId(), w, (x, y) -> y.getLastSequence() > x.getLastSequence() ? y : x);
                }
            }
            assertEquals(STREAMS * WINDOWS_PER_STREAM, windows, "every window on the windows topic");

            // Every instance, every stream: the latest window, local or forwarded to the owner.
            final Map<HttpService, String> self = Map.of(httpA, a.applicationServer(), httpB, b.applicationServer());
            int forwarded = 0;
            for (final HttpService http : List.of(httpA, httpB)) {
                for (int s = 0; s < STREAMS; s++) {
                    final HttpResponse<String> r =
                            getSettled(http, "/v1/streams/" + stream(s) + "/windows/latest?tokens=true");
                    assertEquals(200, r.statusCode(), r.body());
                    final ObjectNode body = (ObjectNode) HttpService.JSON.readTree(r.body());
                    final HostInfo owner = a.latestWindows().owner(stream(s)).activeHost();
                    assertEquals(
                            owner.host() + ":" + owner.port(),
                            body.remove("servedBy").asText(),
                            stream(s) + " is served by its owner");
                    if (!self.get(http).equals(owner.host() + ":" + owner.port())) {
                        forwarded++;
                    }
                    final JsonNode expected = HttpService.JSON.readTree(
                            HttpService.JSON.writeValueAsString(CompressorQueries.toJson(last.get(stream(s)), true)));
                    assertEquals(expected, body, stream(s) + " via " + self.get(http));
                    assertEquals(FRAMES - 1, body.get("lastSequence").asLong());
                    assertNotNull(body.get("tokens"));
                }
                final HttpResponse<String> without = getSettled(http, "/v1/streams/" + stream(1) + "/windows/latest");
                assertEquals(200, without.statusCode());
                assertTrue(!HttpService.JSON.readTree(without.body()).has("tokens"), "tokens only when asked");
                final HttpResponse<String> unknown = getSettled(http, "/v1/streams/no-such-camera/windows/latest");
                assertEquals(404, unknown.statusCode(), unknown.body());
                assertTrue(HttpService.JSON
                        .readTree(unknown.body())
                        .get("error")
                        .asText()
                        .contains("no-such-camera"));
            }
            assertEquals(STREAMS, forwarded, "each stream is local to one instance and forwarded by the other");

            // The QA service's proxy: the first configured compressor is down, the second answers for
            // every stream (forwarding to the owner as above).
            try (QaService qa = new QaService(
                    new ServeConfig(Map.of(
                            "bootstrap.servers",
                            kafka.bootstrapServers(),
                            ServeConfig.PORT,
                            0,
                            ServeConfig.BIND,
                            "127.0.0.1",
                            ServeConfig.COMPRESSOR_URLS,
                            "http://127.0.0.1:9,http://localhost:" + httpB.port())),
                    null,
                    TOKEN)) {
                qa.start();
                for (int s = 0; s < STREAMS; s++) {
                    final HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + qa.port() + "/v1/streams/"
                                            + stream(s) + "/windows/latest"))
                                    .header("Authorization", HttpService.bearer(TOKEN))
                                    .timeout(Duration.ofSeconds(20))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                    final JsonNode body = HttpService.JSON.readTree(r.body());
                    final HostInfo owner = a.latestWindows().owner(stream(s)).activeHost();
                    assertEquals(
                            owner.host() + ":" + owner.port(),
                            body.get("servedBy").asText());
                    assertEquals(FRAMES - 1, body.get("lastSequence").asLong());
                }
            }

            // Metrics of both instances, scraped over HTTP and summed.
            final int expectedWindows = windows;
            final long expectedTokensOut = tokensOut;
            await("metrics matching what was processed", () -> {
                try {
                    final Map<String, Double> m = scrapeSum(httpA, httpB);
                    return m.getOrDefault("scissor_compressor_token_frames_total", 0.0) == STREAMS * FRAMES + 1
                            && m.getOrDefault("scissor_compressor_consumer_lag_max_records", -1.0) == 0.0;
                } catch (final Exception e) {
                    return false;
                }
            });
            final Map<String, Double> m = scrapeSum(httpA, httpB);
            assertEquals(STREAMS * FRAMES + 1, m.get("scissor_compressor_token_frames_total"));
            assertEquals(STREAMS * FRAMES * TestFrames.N, m.get("scissor_compressor_tokens_in_total"));
            assertEquals(expectedWindows, m.get("scissor_compressor_windows_total{reason=\"HOP\"}"));
            assertEquals(0.0, m.get("scissor_compressor_windows_total{reason=\"SCENE_CHANGE\"}"));
            assertEquals(1.0, m.get("scissor_compressor_dead_letters_total{reason=\"UNDECODABLE\"}"));
            assertEquals(0.0, m.get("scissor_compressor_dead_letters_total{reason=\"LATE\"}"));
            assertEquals(expectedTokensOut, m.get("scissor_compressor_tokens_out_total"));
            assertEquals(
                    (double) expectedWindows * W * TestFrames.N, m.get("scissor_compressor_window_tokens_in_total"));
            assertEquals(expectedWindows, m.get("scissor_compressor_end_to_end_latency_seconds_count"));
            assertEquals(expectedWindows, m.get("scissor_compressor_end_to_end_latency_seconds_bucket{le=\"+Inf\"}"));
            assertEquals(
                    expectedWindows,
                    m.get("scissor_compressor_end_to_end_latency_seconds_bucket{le=\"60.0\"}"),
                    "capture to emit took less than a minute");
            assertEquals(expectedWindows, m.get("scissor_compressor_window_compute_seconds_count"));
            assertEquals(2.0, m.get("scissor_compressor_state{state=\"RUNNING\"}"));
            final double lag = m.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("scissor_compressor_consumer_lag_records{"))
                    .mapToDouble(Map.Entry::getValue)
                    .sum();
            assertEquals(0.0, lag, "everything read");
            assertTrue(
                    m.keySet().stream().anyMatch(k -> k.startsWith("scissor_compressor_consumer_lag_records{")),
                    "per-partition lag is exposed: " + m.keySet());
            // Kafka Streams' own metrics stand beside the compressor's: its threads' commit latency, its
            // clients', and, from the binding's first refresh after the stores opened, RocksDB's.
            final long rocksDeadline =
                    System.nanoTime() + Metrics.KAFKA_REFRESH.plusSeconds(10).toNanos();
            Map<String, Double> both = scrapeSum(httpA, httpB);
            while (both.keySet().stream().noneMatch(k -> k.startsWith("kafka_stream_state_block_cache_usage{"))
                    && System.nanoTime() < rocksDeadline) {
                Thread.sleep(500);
                both = scrapeSum(httpA, httpB);
            }
            for (final String name : List.of(
                    "kafka_stream_thread_commit_latency_avg{",
                    "kafka_stream_thread_commit_total{",
                    "kafka_consumer_fetch_manager_records_lag{",
                    "kafka_producer_record_send_total{",
                    "kafka_stream_state_block_cache_usage{",
                    "kafka_stream_state_size_all_mem_tables{")) {
                assertTrue(both.keySet().stream().anyMatch(k -> k.startsWith(name)), name + " in " + both.keySet());
            }
            System.out.println("RocksDB metrics on /metrics: "
                    + new TreeSet<>(both.keySet().stream()
                            .filter(k -> k.startsWith("kafka_stream_state_") && k.contains("rocksdb_"))
                            .map(k -> k.substring(0, k.indexOf('{')))
                            .toList()));
            final double retention = parse(get(httpA, "/metrics").body()).get("scissor_compressor_retention_ratio");
            assertTrue(retention > 0 && retention <= 1, "retention " + retention);
            assertEquals(
                    1.0,
                    a.compressorMetrics().deadLetters(DeadLetters.Reason.UNDECODABLE)
                            + b.compressorMetrics().deadLetters(DeadLetters.Reason.UNDECODABLE));
            for (final StreamsMetadata md : a.streams().metadataForAllStreamsClients()) {
                assertEquals("localhost", md.hostInfo().host());
            }
        }
    }
}
