package dev.scissor.encoder.model;

import java.io.IOException;

/**
 * A model could not be obtained: npm is missing or failed, the download did not match its
 * recorded integrity, or the conversion did not give the recorded file. The message says what to
 * do about it.
 */
public class ModelUnavailableException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong and what to do
     */
    public ModelUnavailableException(final String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what went wrong and what to do
     * @param cause the underlying error
     */
    public ModelUnavailableException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
