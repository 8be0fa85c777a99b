package dev.scissor.http;

import static dev.scissor.http.HttpService.JSON;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.http.HttpService.Response;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Jetty's own errors (a malformed request line, headers too large) as {@code {"error": ...}}. */
final class JsonErrors extends ErrorHandler {
    @Override
    protected void generateResponse(
            final org.eclipse.jetty.server.Request request,
            final org.eclipse.jetty.server.Response response,
            final int code,
            final String message,
            final Throwable cause,
            final Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(errorBody(code, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(final int status, final String reason, final HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(errorBody(status, reason));
    }

    /** The service's answer to an error: {@code {"error": message}}, with {@code WWW-Authenticate} on a 401. */
    static Response error(final int status, final String message) {
        final ObjectNode body = JSON.createObjectNode();
        body.put("error", message == null ? "error" : message);
        final Response response = Response.json(status, body);
        return status == 401 ? response.withHeader("WWW-Authenticate", "Bearer") : response;
    }

    private static byte[] errorBody(final int code, final String message) {
        final ObjectNode body = JSON.createObjectNode();
        body.put("error", message == null || message.isBlank() ? "HTTP " + code : message);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (final IOException e) {
            throw new IllegalStateException("cannot serialize an error", e);
        }
    }
}
