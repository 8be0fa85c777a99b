/**
 * Benchmarks outside the production jars: {@code bench-streams} (the Kafka Streams compressor through a broker) and {@code bench-encoder} (capture and encoder end to end).
 */
package dev.scissor.bench;
