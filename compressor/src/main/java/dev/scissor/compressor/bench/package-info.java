/**
 * The {@code scissor bench} command: the compressor against the sgemm rate measured in the same run.
 */
package dev.scissor.compressor.bench;
