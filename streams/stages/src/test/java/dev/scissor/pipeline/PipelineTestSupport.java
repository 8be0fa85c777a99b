package dev.scissor.pipeline;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.scissor.encoder.model.BuiltinModels;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.model.NpmModelRecipe;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Shared helpers of the pipeline integration tests. */
public final class PipelineTestSupport {

    private PipelineTestSupport() {}

    /**
     * Skips the test (or fails it with {@code -Dscissor.test.requireAssets=true}) when the default
     * model is neither cached nor obtainable with npm.
     */
    public static void assumeDefaultModel() {
        final NpmModelRecipe recipe = BuiltinModels.MNV2_NSFWJS;
        final ModelStore store = ModelStore.fromEnvironment();
        final boolean cached = Files.isRegularFile(store.modelPath(recipe))
                || Files.isRegularFile(store.cacheDir().resolve("npm").resolve(recipe.tarballFileName()));
        final boolean ok = cached || npmWorks();
        if (!ok) {
            final String msg = "the default encoder model: not in " + store.cacheDir() + " and npm is not on the PATH "
                    + "(ModelStore runs `npm pack nsfwjs@4.4.0`)";
            if (Boolean.getBoolean("scissor.test.requireAssets")) {
                fail("required test asset missing: " + msg);
            }
            assumeTrue(false, "skipped: " + msg);
        }
    }

    /**
     * The real clip (vtest.avi) named by {@code SCISSOR_TEST_CLIP}; skips the test (or fails it with
     * {@code -Dscissor.test.requireAssets=true}) when it is not there.
     */
    public static java.nio.file.Path clip() {
        final String env = System.getenv("SCISSOR_TEST_CLIP");
        if (env == null || !Files.isRegularFile(java.nio.file.Path.of(env))) {
            final String msg = "the real clip: set SCISSOR_TEST_CLIP to vtest.avi (encoder/scripts/fetch-test-clip.sh)";
            if (Boolean.getBoolean("scissor.test.requireAssets")) {
                fail("required test asset missing: " + msg);
            }
            assumeTrue(false, "skipped: " + msg);
        }
        return java.nio.file.Path.of(env);
    }

    private static boolean npmWorks() {
        try {
            final Process p = new ProcessBuilder("npm", "--version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final java.io.IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Reads a topic from the beginning with {@code read_committed} until {@code count} records
     * arrived or the timeout passed.
     */
    static List<ConsumerRecord<byte[], byte[]>> readCommitted(
            final String bootstrap, final String topic, final int count, final Duration timeout) {
        final List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "it-reader-" + System.nanoTime()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
