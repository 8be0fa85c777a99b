/**
 * Internals of the compressor: BLAS products, certified float64 re-decisions, components, sampling, the single-linkage cut and refinement. Not an API.
 */
package dev.scissor.compressor.internal;
