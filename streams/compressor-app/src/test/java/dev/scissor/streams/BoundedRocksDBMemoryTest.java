package dev.scissor.streams;

import static dev.scissor.streams.TestFrames.bytes;
import static dev.scissor.streams.TestFrames.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class BoundedRocksDBMemoryTest {

    @TempDir
    Path stateDir;

    private static Map<String, Object> settings(final Path stateDir) {
        final Map<String, Object> s = new HashMap<>();
        s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        s.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        s.put(CompressorConfig.WINDOW_FRAMES, 4);
        s.put(CompressorConfig.HOP_FRAMES, 2);
        return s;
    }

    @Test
    void isTheDefaultSetterAndGetsTheSizes() {
        final Properties p = new CompressorConfig(settings(stateDir)).streamsProperties();
        assertEquals(BoundedRocksDBMemory.class.getName(), p.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
        assertEquals(
                CompressorConfig.DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES, p.get(CompressorConfig.ROCKSDB_BLOCK_CACHE_BYTES));
        assertEquals(
                CompressorConfig.DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES,
                p.get(CompressorConfig.ROCKSDB_WRITE_BUFFER_BYTES));
    }

    @Test
    void anExplicitSetterWins() {
        final Map<String, Object> s = settings(stateDir);
        s.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.MySetter");
        assertEquals(
                "com.example.MySetter",
                new CompressorConfig(s).streamsProperties().get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
    }

    @Test
    void writeBuffersLargerThanTheCacheAreRefused() {
        final Map<String, Object> s = settings(stateDir);
        s.put(CompressorConfig.ROCKSDB_BLOCK_CACHE_BYTES, 64L << 20);
        s.put(CompressorConfig.ROCKSDB_WRITE_BUFFER_BYTES, 65L << 20);
        final ConfigException e = assertThrows(ConfigException.class, () -> new CompressorConfig(s));
        assertTrue(e.getMessage().contains(CompressorConfig.ROCKSDB_WRITE_BUFFER_BYTES), e.getMessage());
    }

    @Test
    void everyStoreOfTheTopologySharesOneCacheThatHoldsTheirMemtables() {
        final CompressorConfig config = new CompressorConfig(settings(stateDir));
        final BoundedRocksDBMemory.Shared shared = BoundedRocksDBMemory.shared(
                CompressorConfig.DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES,
                CompressorConfig.DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES);
        final int storesBefore = shared.stores().get();
        final long usageBefore = shared.cache().getUsage();
        final float[] video = TestFrames.video(7, 8);
        try (TopologyTestDriver driver =
                new TopologyTestDriver(CompressorTopology.build(config), config.streamsProperties())) {
            final TestInputTopic<byte[], byte[]> tokens =
                    driver.createInputTopic(config.tokensTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            for (int t = 0; t < 8; t++) {
                tokens.pipeInput("cam".getBytes(StandardCharsets.UTF_8), bytes(frame("cam", t, video, t)));
            }
            assertEquals(3, shared.stores().get() - storesBefore, "the frame, state and latest stores");
            assertTrue(
                    shared.cache().getUsage() > usageBefore,
                    "the memtables are charged to the shared cache: "
                            + shared.cache().getUsage());
        }
    }

    @Test
    void configuresEachStoreWithTheSameCacheAndManager() {
        RocksDB.loadLibrary();
        final BoundedRocksDBMemory setter = new BoundedRocksDBMemory();
        final Map<String, Object> configs = Map.of();
        try (Options a = new Options();
                Options b = new Options()) {
            a.setTableFormatConfig(new BlockBasedTableConfig());
            b.setTableFormatConfig(new BlockBasedTableConfig());
            setter.setConfig("one", a, configs);
            setter.setConfig("two", b, configs);
            assertSame(a.writeBufferManager(), b.writeBufferManager());
            assertSame(
                    BoundedRocksDBMemory.shared(
                                    CompressorConfig.DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES,
                                    CompressorConfig.DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES)
                            .writeBufferManager(),
                    a.writeBufferManager());
            assertTrue(((BlockBasedTableConfig) a.tableFormatConfig()).cacheIndexAndFilterBlocks());
            setter.close("one", a);
            setter.close("two", b);
        }
        assertThrows(
                ConfigException.class,
                () -> BoundedRocksDBMemory.shared(1L << 20, 1L << 20),
                "one process has one bound");
    }
}
