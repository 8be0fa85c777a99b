/**
 * The {@code scissor} command line on picocli: {@link dev.scissor.cli.Main} and one class per command, each
 * declaring its options (the Kafka commands share {@link dev.scissor.cli.KafkaCliOptions}) and owning what it starts.
 */
package dev.scissor.cli;
