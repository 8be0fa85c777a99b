/**
 * The {@code scissor compress} command (a token dump (.npy) in, the compressed tokens, labels and stats out),
 * and how every {@code scissor} command runs on picocli ({@link dev.scissor.compressor.cli.CommandLines}).
 */
package dev.scissor.compressor.cli;
