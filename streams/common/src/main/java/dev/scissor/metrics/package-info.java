/**
 * The Prometheus metrics registry that every Scissor app serves on {@code /metrics}.
 */
package dev.scissor.metrics;
