package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's state is its stores: a processor that restarts at any frame (a new instance
 * over the same RocksDB stores, with no in-memory window) emits exactly what an uninterrupted
 * one does (float32 and float16 streams alike: float16 frames are stored as float16 and widened
 * the same way on restore), and an incremental stream equals batch windows of the same frames.
 */
class CompressorProcessorProperties {

    /** One processor context with the three RocksDB stores, standing in for a task. */
    private static final class Task implements AutoCloseable {
        final MockProcessorContext<byte[], byte[]> context;
        final List<KeyValueStore<?, ?>> stores = new ArrayList<>();
        final File dir;

        Task() throws Exception {
            dir = Files.createTempDirectory("scissor-task").toFile();
            final Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            props.put("processing.exception.handler.global.enabled", true);
            context = new MockProcessorContext<>(props, new TaskId(0, 0), dir);
            context.setRecordMetadata("tokens", 0, 0);
            add(Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(CompressorTopology.STATE_STORE),
                            Serdes.String(),
                            Serdes.ByteArray())
                    .withLoggingDisabled()
                    .build());
            add(Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(CompressorTopology.FRAME_STORE),
                            Serdes.Bytes(),
                            Serdes.ByteArray())
                    .withLoggingDisabled()
                    .build());
            add(Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(CompressorTopology.LATEST_STORE),
                            Serdes.String(),
                            Serdes.ByteArray())
                    .withLoggingDisabled()
                    .build());
        }

        private void add(final KeyValueStore<?, ?> store) {
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
            stores.add(store);
        }

        @SuppressWarnings("unchecked")
        int frameStoreSize() {
            int n = 0;
            try (var it = ((KeyValueStore<Bytes, byte[]>) stores.get(1)).all()) {
                while (it.hasNext()) {
                    it.next();
                    n++;
                }
            }
            return n;
        }

        @Override
        public void close() throws java.io.IOException {
            stores.forEach(KeyValueStore::close);
            org.apache.kafka.common.utils.Utils.delete(dir);
        }
    }

    /** Runs the frames through processors restarted before each frame in {@code restarts}; returns every forward. */
    private static List<String> run(
            final Map<String, Object> settings,
            final int[] order,
            final Set<Integer> restarts,
            final float[] video,
            final boolean half)
            throws Exception {
        final CompressorConfig config = new CompressorConfig(settings);
        final List<String> out = new ArrayList<>();
        try (Task task = new Task()) {
            CompressorProcessor p = null;
            for (int i = 0; i < order.length; i++) {
                if (p == null || restarts.contains(i)) {
                    if (p != null) {
                        p.close();
                    }
                    p = new CompressorProcessor(config);
                    p.init(task.context);
                }
                final String stream = i % 3 == 0 ? "cam-x" : "cam-y";
                p.process(new Record<>(
                        stream.getBytes(StandardCharsets.UTF_8),
                        bytes(
                                half
                                        ? TestFrames.halfFrame(stream, order[i], video, order[i])
                                        : frame(stream, order[i], video, order[i])),
                        1000L + i));
            }
            for (final MockProcessorContext.CapturedForward<? extends byte[], ? extends byte[]> f :
                    task.context.forwarded()) {
                String value = java.util.Arrays.toString(f.record().value());
                if (f.childName().orElse("").equals(CompressorTopology.WINDOWS_SINK)) {
                    final var w = dev.scissor.schemas.ScissorSerdes.compressedWindow()
                            .deserializer()
                            .deserialize("windows", f.record().value());
                    w.getStats().setComputeMicros(0L); // the one field that differs between runs
                    value = w.toString();
                }
                out.add(f.childName().orElse("?") + ":" + new String(f.record().key(), StandardCharsets.UTF_8) + ":"
                        + value);
            }
            assertFalse(
                    task.frameStoreSize() > 2 * (config.windowFrames() + config.graceFrames() + 1),
                    "the frame store holds only window and reorder-buffer frames");
        }
        return out;
    }

    private static int[] order(final int frames, final int grace, final long seed) {
        final int[] order = TestFrames.range(0, frames);
        final java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        if (grace > 0) {
            for (int i = 0; i + 1 < frames; i++) { // swaps of neighbours stay within any grace >= 1
                if (rnd.nextInt(3) == 0) {
                    final int t = order[i];
                    order[i] = order[i + 1];
                    order[i + 1] = t;
                    i++;
                }
            }
        }
        return order;
    }

    @Property(tries = 25)
    void restartingAtAnyFrameChangesNothing(
            @ForAll @IntRange(min = 1, max = 5) final int w,
            @ForAll @IntRange(min = 1, max = 5) final int h,
            @ForAll @IntRange(min = 0, max = 2) final int grace,
            @ForAll final boolean budget,
            @ForAll final boolean refined,
            @ForAll @Size(max = 4) final Set<@IntRange(min = 1, max = 17) Integer> restarts,
            @ForAll @IntRange(min = 0, max = 1000) final int seed,
            @ForAll final boolean half)
            throws Exception {
        final Map<String, Object> s = new HashMap<>();
        s.put(CompressorConfig.WINDOW_FRAMES, w);
        s.put(CompressorConfig.HOP_FRAMES, Math.min(h, w));
        s.put(CompressorConfig.GRACE_FRAMES, grace);
        s.put(CompressorConfig.EMIT_MODE, "event");
        if (budget) {
            s.put(CompressorConfig.RETENTION, 0.2);
            if (refined) {
                s.put(CompressorConfig.MODE, "refined");
            }
        }
        final float[] video = TestFrames.video(seed, 18);
        final int[] order = order(18, grace, seed);
        final List<String> uninterrupted = run(s, order, Set.of(), video, half);
        assertEquals(uninterrupted, run(s, order, restarts, video, half));
    }
}
