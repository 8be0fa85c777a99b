/**
 * The {@code scissor compress} command: a token dump (.npy) in, the compressed tokens, labels and stats out.
 */
package dev.scissor.compressor.cli;
