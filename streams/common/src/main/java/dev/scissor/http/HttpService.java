package dev.scissor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/JSON server for Scissor's services (the QA service, the compressor's interactive
 * queries, every app's {@code /metrics}), on Jetty's core server: routes by method and path pattern
 * ({@code /v1/streams/{id}/windows/latest}), bodies bounded before they are read, errors as {@code
 * {"error": "..."}} with a status. Owns its Jetty server and handler threads; {@link #close()} stops
 * them.
 *
 * <p>Slow or hostile clients cannot hold it ({@link HttpLimits}): bodies are read asynchronously,
 * so a handler thread is taken only once a request is complete; requests waiting for one are
 * bounded (503 past the queue); connections are bounded, closed when idle, when their request line
 * and headers take too long, or answered 408 when their body does; a malformed request gets 400 and
 * its connection is closed.
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
    public record Request(
            String method,
            String path,
            Map<String, String> pathParams,
            Map<String, String> query,
            Map<String, List<String>> headers,
            byte[] body) {

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
                throw new HttpError(
                        400,
                        "the body is not valid JSON: "
                                + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                                        ? j.getOriginalMessage()
                                        : e.getMessage()));
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

    private record Route(String method, String[] segments, Handler handler) {}

    private final Server server;
    private final ServerConnector connector;
    private final ThreadPoolExecutor handlers;
    private final HttpLimits limits;
    private final List<Route> routes = new CopyOnWriteArrayList<>();
    private final Map<Connection, Watch> watches = new ConcurrentHashMap<>();
    /** SHA-256 of the required token, or {@code null} when none is required. */
    private volatile byte[] tokenDigest;

    private volatile String token;

    private HttpService(final String name, final String host, final int port, final HttpLimits limits) {
        this.limits = limits;
        final QueuedThreadPool io = new QueuedThreadPool(8, 2);
        io.setName("scissor-http-" + name + "-io");
        io.setDaemon(true);
        io.setReservedThreads(0);
        server = new Server(io);
        final HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setDelayDispatchUntilContent(false);
        // Jetty's parser caches header values case-insensitively by default: a token differing only in
        // case from an earlier one on the connection would come back as that earlier one.
        http.setHeaderCacheCaseSensitive(true);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeoutMs());
        connector.setAcceptQueueSize(Math.min(limits.maxConnections(), 1024));
        connector.addBean(new Connection.Listener() {
            @Override
            public void onOpened(final Connection connection) {
                final Watch watch = new Watch(connection);
                watches.put(connection, watch);
                watch.awaitHeaders();
            }

            @Override
            public void onClosed(final Connection connection) {
                watches.remove(connection);
            }
        });
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        server.setErrorHandler(new JsonErrors());
        server.setHandler(new Dispatcher());
        final AtomicInteger n = new AtomicInteger();
        handlers = new ThreadPoolExecutor(
                limits.threads(),
                limits.threads(),
                0,
                TimeUnit.SECONDS,
                limits.queue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(limits.queue()),
                r -> {
                    final Thread t = new Thread(r, "scissor-http-" + name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Starts a server with the default {@link HttpLimits} but threads and body size.
     *
     * @param name a name for its threads and logs (for example {@code "qa"})
     * @param host the address to bind ({@code 0.0.0.0} for all)
     * @param port the port; 0 picks a free one ({@link #port()})
     * @param threads handler threads
     * @param maxBodyBytes the largest request body accepted (larger ones get 413 before being read)
     * @return the running server, with no routes yet
     * @throws IOException when the port cannot be bound
     */
    public static HttpService start(
            final String name, final String host, final int port, final int threads, final long maxBodyBytes)
            throws IOException {
        return start(name, host, port, HttpLimits.defaults(threads, maxBodyBytes));
    }

    /**
     * Starts a server.
     *
     * @param name a name for its threads and logs (for example {@code "qa"})
     * @param host the address to bind ({@code 0.0.0.0} for all)
     * @param port the port; 0 picks a free one ({@link #port()})
     * @param limits threads, queue, connections, timeouts and body size
     * @return the running server, with no routes yet
     * @throws IOException when the port cannot be bound
     */
    public static HttpService start(final String name, final String host, final int port, final HttpLimits limits)
            throws IOException {
        final HttpService service = new HttpService(name, host, port, limits);
        service.requireBearer(environmentToken());
        try {
            service.server.start();
        } catch (final Exception e) {
            service.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getMessage(), e);
        }
        LOG.info(
                "HTTP {} listening on {}:{} ({}){}",
                name,
                host,
                service.port(),
                limits,
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
        return connector.getLocalPort();
    }

    /** The limits this server applies. */
    public HttpLimits limits() {
        return limits;
    }

    /** Connections open now (for tests and diagnostics). */
    public int openConnections() {
        return connector.getConnectedEndPoints().size();
    }

    /** Requests being handled or waiting for a handler thread now. */
    public int busyHandlers() {
        return handlers.getActiveCount() + handlers.getQueue().size();
    }

    /**
     * Drops a connection that has sent part of a request's line and headers but not all of them
     * within {@link HttpLimits#headerTimeoutMs()} of opening or of its previous answer; one that has
     * sent nothing is left to the idle timeout.
     */
    private final class Watch {
        private final Connection connection;
        private volatile long requests;

        Watch(final Connection connection) {
            this.connection = connection;
        }

        void awaitHeaders() {
            final long seen = requests;
            final long bytes = connection.getBytesIn();
            connector
                    .getScheduler()
                    .schedule(
                            () -> {
                                if (requests == seen
                                        && connection.getBytesIn() > bytes
                                        && watches.get(connection) == this) {
                                    LOG.debug(
                                            "closing {}: no complete request headers within {} ms",
                                            connection,
                                            limits.headerTimeoutMs());
                                    connection.getEndPoint().close();
                                }
                            },
                            limits.headerTimeoutMs(),
                            TimeUnit.MILLISECONDS);
        }

        void requestArrived() {
            requests++;
        }
    }

    /** Routes a request, reads its body without a thread, then hands it to a handler thread. */
    private final class Dispatcher extends org.eclipse.jetty.server.Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(
                final org.eclipse.jetty.server.Request request,
                final org.eclipse.jetty.server.Response response,
                final Callback callback) {
            final Exchange exchange = new Exchange(
                    request,
                    response,
                    callback,
                    watches.get(request.getConnectionMetaData().getConnection()));
            try {
                exchange.begin();
            } catch (final HttpError e) {
                // A body too large to read is not read: the connection cannot carry another request.
                exchange.send(error(e.status(), e.getMessage()), e.status() == 413);
            }
            return true;
        }
    }

    /** One request: its route, its body as it arrives, and the one answer it gets. */
    private final class Exchange implements Runnable {
        private final org.eclipse.jetty.server.Request request;
        private final org.eclipse.jetty.server.Response response;
        private final Callback callback;
        private final Watch watch;
        private final AtomicBoolean answered = new AtomicBoolean();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private String method;
        private String path;
        private Route route;
        private Map<String, String> params;
        private Scheduler.Task timeout;

        Exchange(
                final org.eclipse.jetty.server.Request request,
                final org.eclipse.jetty.server.Response response,
                final Callback callback,
                final Watch watch) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.watch = watch;
            if (watch != null) {
                watch.requestArrived();
            }
        }

        void begin() {
            method = request.getMethod();
            path = request.getHttpURI().getDecodedPath();
            final byte[] required = tokenDigest;
            if (required != null
                    && !(METRICS_PATH.equals(path) && (method.equals("GET") || method.equals("HEAD")))
                    && !authorized(request.getHeaders().get(HttpHeader.AUTHORIZATION), required)) {
                throw new HttpError(
                        401,
                        "this endpoint requires the header 'Authorization: Bearer <token>' with the "
                                + "token the server was started with (environment variable " + TOKEN_ENV
                                + "); only GET "
                                + METRICS_PATH + " is open");
            }
            final String[] segments = split(path);
            boolean pathKnown = false;
            for (final Route r : routes) {
                final Map<String, String> p = match(r.segments(), segments);
                if (p == null) {
                    continue;
                }
                pathKnown = true;
                if (r.method().equals(method)
                        || (method.equals("HEAD") && r.method().equals("GET"))) {
                    route = r;
                    params = p;
                    break;
                }
            }
            if (route == null) {
                throw pathKnown
                        ? new HttpError(405, method + " is not supported on " + path)
                        : new HttpError(404, "no such resource: " + path);
            }
            final long length = request.getLength();
            if (length > limits.maxBodyBytes()) {
                throw new HttpError(
                        413, "the body has " + length + " bytes; at most " + limits.maxBodyBytes() + " are accepted");
            }
            timeout = connector.getScheduler().schedule(this::expire, limits.readTimeoutMs(), TimeUnit.MILLISECONDS);
            run();
        }

        /** Reads what has arrived; asks to be called again when more does. */
        @Override
        public void run() {
            while (!answered.get()) {
                final Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    timeout.cancel();
                    if (chunk.getFailure() instanceof TimeoutException) {
                        send(error(408, "the request body stopped arriving"), true);
                    } else if (answered.compareAndSet(false, true)) {
                        callback.failed(chunk.getFailure());
                    }
                    return;
                }
                final ByteBuffer bytes = chunk.getByteBuffer();
                if (body.size() + (long) bytes.remaining() > limits.maxBodyBytes()) {
                    chunk.release();
                    timeout.cancel();
                    send(error(413, "the body is larger than the " + limits.maxBodyBytes() + " bytes accepted"), true);
                    return;
                }
                final byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                body.write(copy, 0, copy.length);
                final boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    timeout.cancel();
                    dispatch();
                    return;
                }
            }
        }

        private void expire() {
            send(error(408, "the request body did not arrive within " + limits.readTimeoutMs() + " ms"), true);
        }

        private void dispatch() {
            try {
                handlers.execute(() -> send(answer(), false));
            } catch (final RejectedExecutionException e) {
                send(
                        error(
                                        503,
                                        "the server is busy (" + limits.threads() + " requests running, "
                                                + limits.queue() + " waiting); retry shortly")
                                .withHeader("Retry-After", "1"),
                        false);
            }
        }

        private Response answer() {
            try {
                final Map<String, List<String>> headers = new LinkedHashMap<>();
                for (final HttpField f : request.getHeaders()) {
                    headers.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>())
                            .add(f.getValue());
                }
                return route.handler()
                        .handle(new Request(
                                method,
                                path,
                                params,
                                query(request.getHttpURI().getQuery()),
                                headers,
                                body.toByteArray()));
            } catch (final HttpError e) {
                return error(e.status(), e.getMessage());
            } catch (final Exception e) {
                LOG.warn("{} {} failed", method, request.getHttpURI(), e);
                return error(500, "internal error: " + e);
            }
        }

        void send(final Response answer, final boolean close) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            response.setStatus(answer.status());
            final HttpFields.Mutable h = response.getHeaders();
            answer.headers().forEach(h::put);
            h.put(HttpHeader.CONTENT_TYPE, answer.contentType());
            if (close) {
                h.put(HttpHeader.CONNECTION, "close");
            }
            final boolean head = "HEAD".equals(request.getMethod());
            if (!head) {
                h.put(HttpHeader.CONTENT_LENGTH, answer.body().length);
            }
            response.write(
                    true,
                    ByteBuffer.wrap(head ? new byte[0] : answer.body()),
                    Callback.from(
                            () -> {
                                if (watch != null) {
                                    watch.awaitHeaders();
                                }
                                callback.succeeded();
                            },
                            callback::failed));
        }
    }

    /** Jetty's own errors (a malformed request line, headers too large) as {@code {"error": ...}}. */
    private static final class JsonErrors extends ErrorHandler {
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

    /** Stops accepting requests, closes the connections, and stops the handler threads (running ones get 5 s). */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (final Exception e) {
            LOG.warn("stopping the HTTP server failed", e);
        }
        handlers.shutdown();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
