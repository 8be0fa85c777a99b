/**
 * An in-process KRaft broker for the demo, the benchmarks and the integration tests, and the JUnit 5 extension that gives a test class one.
 */
package dev.scissor.testkit;
