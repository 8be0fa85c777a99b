/**
 * The {@code scissor} command line: one class per command, each parsing its options and owning what it starts.
 */
package dev.scissor.cli;
