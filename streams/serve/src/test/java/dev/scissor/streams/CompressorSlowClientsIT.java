package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.scissor.http.HttpService;
import dev.scissor.serve.SlowClients;
import dev.scissor.testkit.EmbeddedKafka;
import dev.scissor.testkit.EmbeddedKafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running compressor's HTTP endpoint with its default limits ({@code scissor.http.*}) under
 * {@value SlowClients#SLOW} slow-header and {@value SlowClients#SLOW} slow-body clients ({@link
 * SlowClients#withstand}): the interactive query is answered within a second throughout, and
 * everything is released afterwards.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CompressorSlowClientsIT {

    @TempDir
    Path dir;

    @Test
    void answersThroughFiftySlowHeaderAndFiftySlowBodyClients(final EmbeddedKafka kafka) throws Exception {
        kafka.createTopics(Map.of("tokens", 1, "windows", 1, "dlq", 1));
        final CompressorConfig config = new CompressorConfig(
                TestFrames.appSettings(kafka.bootstrapServers(), "scissor-slow-clients-it", dir, 4, 2));
        try (HttpService http = HttpService.start("compressor", "127.0.0.1", 0, config.httpLimits());
                CompressorApp app = new CompressorApp(config, http)) {
            app.start();
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (app.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(KafkaStreams.State.RUNNING, app.state());
            // A stream with no window yet: 404 from the local store once the owner is known.
            final String latest = "/v1/streams/cam-0/windows/latest";
            final long known = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((int) SlowClients.probe(http.port(), latest)[0] != 404 && System.nanoTime() < known) {
                Thread.sleep(200);
            }
            SlowClients.withstand("compressor", http, latest, 404, "GET " + latest);
        }
    }
}
