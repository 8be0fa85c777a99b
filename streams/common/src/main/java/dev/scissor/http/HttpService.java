package dev.scissor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
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
    static final String METRICS_PATH = "/metrics";

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

    private final Server server;
    private final ServerConnector connector;
    private final ThreadPoolExecutor handlers;
    private final HttpLimits limits;
    private final List<Routing.Route> routes = new CopyOnWriteArrayList<>();
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
                final Watch watch = new Watch(connection, connector.getScheduler(), limits.headerTimeoutMs(), watches);
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
        tokenDigest = t == null ? null : BearerTokens.sha256(t);
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
        routes.add(new Routing.Route(method, Routing.split(pattern), handler));
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

    /** Routes a request, reads its body without a thread, then hands it to a handler thread. */
    private final class Dispatcher extends org.eclipse.jetty.server.Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(
                final org.eclipse.jetty.server.Request request,
                final org.eclipse.jetty.server.Response response,
                final Callback callback) {
            final Exchange exchange = new Exchange(
                    HttpService.this,
                    request,
                    response,
                    callback,
                    watches.get(request.getConnectionMetaData().getConnection()));
            try {
                exchange.begin();
            } catch (final HttpError e) {
                // A body too large to read is not read: the connection cannot carry another request.
                exchange.send(JsonErrors.error(e.status(), e.getMessage()), e.status() == 413);
            }
            return true;
        }
    }

    /** The required token's SHA-256, or {@code null} when none is required. */
    byte[] tokenDigest() {
        return tokenDigest;
    }

    /** The routes, in the order added. */
    List<Routing.Route> routes() {
        return routes;
    }

    /** The scheduler of read timeouts and header watches. */
    Scheduler scheduler() {
        return connector.getScheduler();
    }

    /** The handler threads and their queue. */
    ThreadPoolExecutor handlers() {
        return handlers;
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
