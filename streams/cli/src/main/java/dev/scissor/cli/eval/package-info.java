/** Task metrics of {@code scissor eval}: whether what the compressed windows are used for still works. */
package dev.scissor.cli.eval;
