package dev.scissor.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.http.HttpService.HttpError;

/** Fields of {@link QaService}'s JSON request bodies, checked (400 when missing or out of range). */
final class QaFields {

    private QaFields() {}

    static String text(final ObjectNode body, final String field) {
        final JsonNode n = body.get(field);
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            throw new HttpError(400, "\"" + field + "\" is required (a non-empty string)");
        }
        return n.asText();
    }

    /** An integer field: its default when absent, else an integral JSON number from min to max. */
    static int integer(
            final ObjectNode body,
            final String field,
            final int absent,
            final int min,
            final int max,
            final String error) {
        final JsonNode n = body.get(field);
        if (n == null) {
            return absent;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
            throw new HttpError(400, error);
        }
        return n.intValue();
    }

    static String abbreviate(final String s, final int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max) + "...";
    }
}
