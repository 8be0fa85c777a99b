package dev.scissor.streams;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * The compressor's {@code rocksdb.config.setter}: every RocksDB store of the process (the frame, state and latest
 * stores of every task, active or standby) shares one LRU block cache of {@value CompressorConfig#ROCKSDB_BLOCK_CACHE_BYTES}
 * bytes, and their memtables are charged to that cache through one write-buffer manager limited to
 * {@value CompressorConfig#ROCKSDB_WRITE_BUFFER_BYTES} bytes, so RocksDB's off-heap memory stays about the cache size
 * however many partitions the instance holds (Kafka Streams' default is a 50 MB cache and three 16 MB memtables per
 * store). Index and filter blocks are kept in the cache too, with high priority.
 *
 * <p>The cache and the manager are created by the first store with the sizes it is configured with and live as long
 * as the process: stores are opened and closed as tasks move, and must not free what the others use. A later store
 * configured with other sizes fails, as one process has one bound.
 */
public final class BoundedRocksDBMemory implements RocksDBConfigSetter {

    /** A quarter of the cache for index and filter blocks, which are pinned with high priority. */
    private static final double HIGH_PRIORITY_RATIO = 0.25;

    private static final Object LOCK = new Object();
    private static Shared shared;

    /** The one cache and write-buffer manager of the process, and how many stores were configured with them. */
    record Shared(
            long cacheBytes,
            long writeBufferBytes,
            Cache cache,
            WriteBufferManager writeBufferManager,
            AtomicInteger stores) {}

    @Override
    public void setConfig(final String storeName, final Options options, final Map<String, Object> configs) {
        final Shared s = shared(
                bytes(
                        configs,
                        CompressorConfig.ROCKSDB_BLOCK_CACHE_BYTES,
                        CompressorConfig.DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES),
                bytes(
                        configs,
                        CompressorConfig.ROCKSDB_WRITE_BUFFER_BYTES,
                        CompressorConfig.DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES));
        final BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(s.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(s.writeBufferManager());
        s.stores().incrementAndGet();
    }

    @Override
    public void close(final String storeName, final Options options) {
        // The cache and the write-buffer manager are shared by every store of the process: nothing to free here.
    }

    /** The process's shared cache and manager, created with these sizes on first use. */
    static Shared shared(final long cacheBytes, final long writeBufferBytes) {
        synchronized (LOCK) {
            if (shared == null) {
                final Cache cache = new LRUCache(cacheBytes, -1, false, HIGH_PRIORITY_RATIO);
                shared = new Shared(
                        cacheBytes,
                        writeBufferBytes,
                        cache,
                        new WriteBufferManager(writeBufferBytes, cache),
                        new AtomicInteger());
            } else if (shared.cacheBytes() != cacheBytes || shared.writeBufferBytes() != writeBufferBytes) {
                throw new ConfigException("this process's RocksDB stores already share a " + shared.cacheBytes()
                        + "-byte cache with " + shared.writeBufferBytes() + " bytes of write buffers; one process "
                        + "has one bound, got " + cacheBytes + " and " + writeBufferBytes);
            }
            return shared;
        }
    }

    private static long bytes(final Map<String, Object> configs, final String key, final long fallback) {
        final Object v = configs.get(key);
        return v == null ? fallback : Long.parseLong(v.toString().strip());
    }
}
