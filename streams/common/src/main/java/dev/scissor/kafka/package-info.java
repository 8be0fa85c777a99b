/**
 * Kafka helpers every app shares: idempotent topic creation and the {@code --describe-config} text of a {@code ConfigDef}.
 */
package dev.scissor.kafka;
