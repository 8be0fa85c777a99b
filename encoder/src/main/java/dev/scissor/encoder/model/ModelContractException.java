package dev.scissor.encoder.model;

/**
 * An ONNX model does not match its {@link EncoderModelDescriptor}: a missing input or output, a
 * wrong rank, size or element type. The message lists every problem found and what the model
 * actually declares.
 */
public class ModelContractException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the problems found
     */
    public ModelContractException(final String message) {
        super(message);
    }
}
