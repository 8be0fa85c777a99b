package dev.scissor.http;

import dev.scissor.http.HttpService.Handler;
import dev.scissor.http.HttpService.HttpError;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Route patterns of {@link HttpService}: path splitting, pattern matching and query parsing. */
final class Routing {

    /** A route: its method, its pattern's segments, its handler. */
    record Route(String method, String[] segments, Handler handler) {}

    private Routing() {}

    static Map<String, String> match(final String[] pattern, final String[] path) {
        if (pattern.length != path.length) {
            return null;
        }
        final Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            final String p = pattern[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                params.put(p.substring(1, p.length() - 1), path[i]);
            } else if (!p.equals(path[i])) {
                return null;
            }
        }
        return params;
    }

    static String[] split(final String path) {
        final String trimmed = path.replaceAll("^/+|/+$", "");
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/+");
    }

    static Map<String, String> query(final String raw) {
        final Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        try {
            for (final String pair : raw.split("&")) {
                final int eq = pair.indexOf('=');
                final String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                final String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.putIfAbsent(k, v);
            }
        } catch (final IllegalArgumentException e) {
            throw new HttpError(400, "bad query string: " + e.getMessage());
        }
        return query;
    }
}
