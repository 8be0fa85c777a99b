/**
 * The steps of an incremental LLaVA-Scissor window and the caches that let a window skip what it
 * already knows, driven by {@link dev.scissor.compressor.SlidingWindow}.
 *
 * <p>{@link dev.scissor.compressor.steps.FrameRing} holds the window's last W frames with their
 * spatial SCC results (the spatial step, {@link dev.scissor.compressor.internal.SpatialScc}, runs once
 * per frame). A {@link dev.scissor.compressor.steps.TemporalStep} keeps the similarities of every
 * frame pair and groups the window's spatial tokens: {@link dev.scissor.compressor.steps.ThresholdTemporal}
 * (certified {@code cos > tau} edges, connected components) or
 * {@link dev.scissor.compressor.steps.BudgetTemporal} (the single-linkage cut to K components).
 * The merge step is {@link dev.scissor.compressor.steps.MergeColumns} (retained tokens and their
 * similarity columns, cached per component member set; the certified argmax of every original token)
 * followed by {@link dev.scissor.compressor.steps.MergeOutput} (output tokens and coverage, with
 * per-frame partial sums cached while a frame's grouping is unchanged).
 * {@link dev.scissor.compressor.steps.RefinedOutput} regroups a classic result in refined mode.
 *
 * <p>Internal to the compressor: the classes are public only for {@code SlidingWindow}, not thread-safe,
 * and may change without notice.
 */
package dev.scissor.compressor.steps;
