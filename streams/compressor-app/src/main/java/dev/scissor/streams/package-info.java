/**
 * The Kafka Streams compressor: {@link dev.scissor.streams.CompressorTopology} (tokens to windows, RocksDB state, dead letters), its configuration, metrics and interactive queries.
 */
package dev.scissor.streams;
