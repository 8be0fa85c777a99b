/**
 * An in-process KRaft broker for the demo, the benchmarks and the integration tests, the JUnit 5 extension that gives a test class one, and a cluster of several brokers for tests of leader loss and replication.
 */
package dev.scissor.testkit;
