package dev.scissor.encoder.tfjs;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What {@link TfjsToOnnxConverter} should emit: which TF tensors become graph outputs and how the
 * input is declared.
 *
 * @param outputs TF tensors to expose, in output order (after {@code probs} if included)
 * @param probsName if non-null, the final graph node is exposed first under this name (the
 *     reference converter's default, {@code probs}); null for backbone-only conversion
 * @param inputName the ONNX graph input name, normally {@code pixel_values}
 * @param dynamicHw whether H and W of the input are symbolic ({@code H}, {@code W}) instead of the
 *     placeholder's sizes
 * @param inputScale if present, the input is multiplied by this scalar before entering the graph
 *     (for example 255 for a graph that expects 0..255 while the ONNX input is in [0,1])
 */
public record ConversionSpec(
        List<Output> outputs, String probsName, String inputName, boolean dynamicHw, OptionalDouble inputScale) {

    /** Default input name of every converted encoder. */
    public static final String DEFAULT_INPUT_NAME = "pixel_values";

    /**
     * One requested output.
     *
     * @param tfTensor TF node or tensor name ({@code :0} suffix allowed)
     * @param onnxName name of the ONNX graph output
     */
    public record Output(String tfTensor, String onnxName) {
        // Validates the names.
        public Output {
            Objects.requireNonNull(tfTensor, "tfTensor");
            Objects.requireNonNull(onnxName, "onnxName");
        }
    }

    // Validates and copies.
    public ConversionSpec {
        outputs = List.copyOf(outputs);
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(inputScale, "inputScale");
        if (outputs.isEmpty() && probsName == null) {
            throw new IllegalArgumentException("nothing to convert: no outputs and no probs");
        }
    }

    /**
     * A spec with the reference converter's defaults: {@code probs} first, static input size, no
     * input scaling.
     *
     * @param outputs the feature outputs
     * @return the spec
     */
    public static ConversionSpec withProbs(final List<Output> outputs) {
        return new ConversionSpec(outputs, "probs", DEFAULT_INPUT_NAME, false, OptionalDouble.empty());
    }

    /**
     * A backbone-only spec ({@code NO_PROBS=1}).
     *
     * @param outputs the feature outputs
     * @param dynamicHw symbolic H and W ({@code DYN_HW=1})
     * @param inputScale input multiplier ({@code INPUT_SCALE}), or empty
     * @return the spec
     */
    public static ConversionSpec backbone(
            final List<Output> outputs, final boolean dynamicHw, final OptionalDouble inputScale) {
        return new ConversionSpec(outputs, null, DEFAULT_INPUT_NAME, dynamicHw, inputScale);
    }
}
