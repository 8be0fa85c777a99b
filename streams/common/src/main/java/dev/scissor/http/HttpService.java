package dev.scissor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/JSON server for Scissor's services (the QA service, the compressor's interactive
 * queries, every app's {@code /metrics}), on the JDK's built-in server: routes by method and path
 * pattern ({@code /v1/streams/{id}/windows/latest}), bodies bounded before they are read, errors as
 * {@code {"error": "..."}} with a status. Owns its server threads; {@link #close()} stops them.
 *
 * <p>When the environment variable {@value #TOKEN_ENV} is set (or {@link #requireBearer} is
 * called), every request except {@code GET /metrics} (Prometheus scrapes and probes) must carry
 * {@code Authorization: Bearer <token>}; others get 401 and a JSON error. Tokens are compared in
 * constant time.
 */
public final class HttpService implements AutoCloseable {

    /** The JSON mapper every service shares (thread-safe once configured). */
    public static final ObjectMapper JSON = new ObjectMapper();

    /** Environment variable with the bearer token every route but {@code GET /metrics} requires; unset = none. */
    public static final String TOKEN_ENV = "SCISSOR_HTTP_TOKEN";

    /** The path left open when a token is required. */
    private static final String METRICS_PATH = "/metrics";

    private static final Logger LOG = LoggerFactory.getLogger(HttpService.class);

    /** Handles one request. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Answers a request.
         *
         * @param request the request
         * @return the response
         * @throws HttpError for a client error (4xx) or a known server condition
         * @throws Exception anything else: answered 500 and logged
         */
        Response handle(Request request) throws Exception;
    }

    /**
     * A request: method, path, decoded path parameters and query, body.
     *
     * @param method the HTTP method
     * @param path the decoded path
     * @param pathParams values of the route's {@code {name}} segments
     * @param query decoded query parameters (the first value of each)
     * @param headers request headers (names lower case)
     * @param body the body (empty when none)
     */
    public record Request(String method, String path, Map<String, String> pathParams, Map<String, String> query,
                         Map<String, List<String>> headers, byte[] body) {

        /**
         * The body as a JSON object.
         *
         * @return the object
         * @throws HttpError 400 when the body is not a JSON object
         */
        public ObjectNode json() {
            try {
                final JsonNode node = JSON.readTree(body);
                if (node instanceof ObjectNode o) {
                    return o;
                }
            } catch (final IOException e) {
                throw new HttpError(400, "the body is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
            }
            throw new HttpError(400, "the body must be a JSON object");
        }

        /**
         * A path parameter.
         *
         * @param name the parameter's name in the route
         * @return its value
         */
        public String param(final String name) {
            return pathParams.get(name);
        }
    }

    /**
     * A response.
     *
     * @param status the HTTP status
     * @param contentType the content type
     * @param body the body
     * @param headers extra response headers ({@code Retry-After}); empty for most responses
     */
    public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

        /** Copies the headers. */
        public Response {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }

        /**
         * A response without extra headers.
         *
         * @param status the HTTP status
         * @param contentType the content type
         * @param body the body
         */
        public Response(final int status, final String contentType, final byte[] body) {
            this(status, contentType, body, Map.of());
        }

        /**
         * This response with one more header.
         *
         * @param name the header name ({@code Retry-After})
         * @param value its value
         * @return a new response
         */
        public Response withHeader(final String name, final String value) {
            final Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Response(status, contentType, body, h);
        }

        /**
         * A JSON response.
         *
         * @param status the status
         * @param value anything Jackson serializes (a {@link JsonNode}, a record, a map)
         * @return the response
         */
        public static Response json(final int status, final Object value) {
            try {
                return new Response(status, "application/json", JSON.writeValueAsBytes(value));
            } catch (final IOException e) {
                throw new IllegalStateException("cannot serialize a response", e);
            }
        }

        /**
         * A plain-text response.
         *
         * @param status the status
         * @param contentType the content type (for example Prometheus' {@code text/plain; version=0.0.4})
         * @param text the text
         * @return the response
         */
        public static Response text(final int status, final String contentType, final String text) {
            return new Response(status, contentType, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An error answered with its status and {@code {"error": message}}. */
    public static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        /**
         * An error.
         *
         * @param status the HTTP status
         * @param message what went wrong and what to do, for the client
         */
        public HttpError(final int status, final String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status. */
        public int status() {
            return status;
        }
    }

    private record Route(String method, String[] segments, Handler handler) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final long maxBodyBytes;
    private final List<Route> routes = Collections.synchronizedList(new ArrayList<>());
    /** SHA-256 of the required token, or {@code null} when none is required. */
    private volatile byte[] tokenDigest;
    private volatile String token;

    private HttpService(final HttpServer server, final ExecutorService executor, final long maxBodyBytes) {
        this.server = server;
        this.executor = executor;
        this.maxBodyBytes = maxBodyBytes;
    }

    /**
     * Starts a server.
     *
     * @param name a name for its threads and logs (for example {@code "qa"})
     * @param host the address to bind ({@code 0.0.0.0} for all)
     * @param port the port; 0 picks a free one ({@link #port()})
     * @param threads handler threads
     * @param maxBodyBytes the largest request body accepted (larger ones get 413 before being read)
     * @return the running server, with no routes yet
     * @throws IOException when the port cannot be bound
     */
    public static HttpService start(final String name, final String host, final int port, final int threads,
                                    final long maxBodyBytes) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        final AtomicInteger n = new AtomicInteger();
        final ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
            final Thread t = new Thread(r, "scissor-http-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        final HttpService service = new HttpService(server, executor, maxBodyBytes);
        service.requireBearer(environmentToken());
        server.createContext("/", service::dispatch);
        server.start();
        LOG.info("HTTP {} listening on {}:{}{}", name, host, service.port(),
                service.tokenDigest == null ? "" : " (bearer token required except on GET /metrics)");
        return service;
    }

    /**
     * The token of the environment variable {@value #TOKEN_ENV}: what {@link #start} requires and
     * what Scissor's own clients (forwarding, proxying) send.
     *
     * @return the token, or {@code null} when the variable is unset or blank
     */
    public static String environmentToken() {
        final String token = System.getenv(TOKEN_ENV);
        return token == null || token.isBlank() ? null : token.strip();
    }

    /**
     * Requires {@code Authorization: Bearer <token>} on every request except {@code GET /metrics}
     * from now on; replaces the token taken from {@value #TOKEN_ENV} at start.
     *
     * @param token the token; {@code null} or blank requires none
     * @return this service
     */
    public HttpService requireBearer(final String token) {
        final String t = token == null || token.isBlank() ? null : token.strip();
        this.token = t;
        tokenDigest = t == null ? null : sha256(t);
        return this;
    }

    /**
     * The bearer token this service requires, for a client of its peers (which require the same).
     *
     * @return the token, or {@code null} when none is required
     */
    public String bearerToken() {
        return token;
    }

    /**
     * The {@code Authorization} header value that carries a token.
     *
     * @param token the token
     * @return {@code Bearer <token>}
     */
    public static String bearer(final String token) {
        return "Bearer " + token;
    }

    /**
     * Adds a route. A pattern's {@code {name}} segment matches one path segment and is passed as a
     * path parameter; routes are tried in the order added.
     *
     * @param method the HTTP method ({@code GET}, {@code POST})
     * @param pattern the path pattern
     * @param handler the handler
     * @return this service
     */
    public HttpService route(final String method, final String pattern, final Handler handler) {
        routes.add(new Route(method, split(pattern), handler));
        return this;
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    private void dispatch(final HttpExchange exchange) throws IOException {
        Response response;
        try {
            response = answer(exchange);
        } catch (final HttpError e) {
            response = error(e.status(), e.getMessage());
        } catch (final Exception e) {
            LOG.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            response = error(500, "internal error: " + e);
        }
        try (exchange) {
            response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
            final boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(response.status(), head ? -1 : response.body().length == 0 ? -1
                    : response.body().length);
            if (!head && response.body().length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(response.body());
                }
            }
        }
    }

    private Response answer(final HttpExchange exchange) throws Exception {
        final String method = exchange.getRequestMethod();
        final String path = exchange.getRequestURI().getPath();
        final byte[] required = tokenDigest;
        if (required != null && !(METRICS_PATH.equals(path) && (method.equals("GET") || method.equals("HEAD")))
                && !authorized(exchange.getRequestHeaders().getFirst("Authorization"), required)) {
            throw new HttpError(401, "this endpoint requires the header 'Authorization: Bearer <token>' with the "
                    + "token the server was started with (environment variable " + TOKEN_ENV + "); only GET "
                    + METRICS_PATH + " is open");
        }
        final String[] segments = split(path);
        boolean pathKnown = false;
        final List<Route> snapshot;
        synchronized (routes) {
            snapshot = List.copyOf(routes);
        }
        for (final Route route : snapshot) {
            final Map<String, String> params = match(route.segments(), segments);
            if (params == null) {
                continue;
            }
            pathKnown = true;
            if (!route.method().equals(method) && !(method.equals("HEAD") && route.method().equals("GET"))) {
                continue;
            }
            final Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
            return route.handler().handle(new Request(method, path, params, query(exchange.getRequestURI().getRawQuery()),
                    headers, readBody(exchange)));
        }
        if (pathKnown) {
            throw new HttpError(405, method + " is not supported on " + path);
        }
        throw new HttpError(404, "no such resource: " + path);
    }

    private byte[] readBody(final HttpExchange exchange) throws IOException {
        final String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            final long n;
            try {
                n = Long.parseLong(length.strip());
            } catch (final NumberFormatException e) {
                throw new HttpError(400, "bad Content-Length: " + length);
            }
            if (n > maxBodyBytes) {
                throw new HttpError(413, "the body has " + n + " bytes; at most " + maxBodyBytes + " are accepted");
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            final byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (body.length > maxBodyBytes) {
                throw new HttpError(413, "the body is larger than the " + maxBodyBytes + " bytes accepted");
            }
            return body;
        }
    }

    private static Response error(final int status, final String message) {
        final ObjectNode body = JSON.createObjectNode();
        body.put("error", message == null ? "error" : message);
        final Response response = Response.json(status, body);
        return status == 401 ? response.withHeader("WWW-Authenticate", "Bearer") : response;
    }

    /** Whether an Authorization header carries the token: digests compared in constant time. */
    private static boolean authorized(final String header, final byte[] required) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(sha256(header.substring(7).strip()), required);
    }

    private static byte[] sha256(final String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static Map<String, String> match(final String[] pattern, final String[] path) {
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

    private static String[] split(final String path) {
        final String trimmed = path.replaceAll("^/+|/+$", "");
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/+");
    }

    private static Map<String, String> query(final String raw) {
        final Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (final String pair : raw.split("&")) {
            final int eq = pair.indexOf('=');
            final String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            final String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.putIfAbsent(k, v);
        }
        return query;
    }

    /** Stops accepting requests, lets running ones finish (up to a second), and stops the threads. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
