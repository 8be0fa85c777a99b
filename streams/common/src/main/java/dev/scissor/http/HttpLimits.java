package dev.scissor.http;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * What one {@link HttpService} lets its clients hold: handler threads and their queue, open
 * connections, and how long a connection may idle, take to send its request line and headers, or
 * take to send its body. A client past a limit gets an answer (503, 408, 413) or a closed
 * connection; it never holds a handler thread while it sends.
 *
 * <p>A service declares the keys under its own prefix with {@link #define} and reads them with
 * {@link #from}: the compressor as {@code scissor.http.*}, the QA service as {@code
 * scissor.serve.http.*}.
 *
 * @param threads handler threads: requests handled at once (their bodies are read before, without a thread)
 * @param queue requests with a complete body that wait for a handler thread; past it, 503
 * @param maxConnections open connections at most; past it the server stops accepting until one closes
 * @param idleTimeoutMs a connection that sends and receives nothing this long is closed
 * @param headerTimeoutMs a request whose line and headers take longer than this to arrive is dropped
 * @param readTimeoutMs a request whose body takes longer than this to arrive is answered 408
 * @param maxBodyBytes the largest request body; larger get 413
 */
public record HttpLimits(
        int threads,
        int queue,
        int maxConnections,
        long idleTimeoutMs,
        long headerTimeoutMs,
        long readTimeoutMs,
        long maxBodyBytes) {

    /** Default handler threads. */
    public static final int DEFAULT_THREADS = 4;
    /** Default handler queue. */
    public static final int DEFAULT_QUEUE = 64;
    /** Default connection limit. */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    /** Default idle timeout. */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    /** Default time for the request line and headers. */
    public static final long DEFAULT_HEADER_TIMEOUT_MS = 5_000;
    /** Default time for the body. */
    public static final long DEFAULT_READ_TIMEOUT_MS = 30_000;

    /** Suffix of the handler-thread key. */
    public static final String THREADS = "threads";
    /** Suffix of the handler-queue key. */
    public static final String QUEUE = "queue";
    /** Suffix of the connection-limit key. */
    public static final String MAX_CONNECTIONS = "max.connections";
    /** Suffix of the idle-timeout key. */
    public static final String IDLE_TIMEOUT_MS = "idle.timeout.ms";
    /** Suffix of the header-timeout key. */
    public static final String HEADER_TIMEOUT_MS = "header.timeout.ms";
    /** Suffix of the body-timeout key. */
    public static final String READ_TIMEOUT_MS = "read.timeout.ms";

    /** Checks the values. */
    public HttpLimits {
        if (threads < 1
                || queue < 0
                || maxConnections < 1
                || idleTimeoutMs < 1
                || headerTimeoutMs < 1
                || readTimeoutMs < 1
                || maxBodyBytes < 0) {
            throw new IllegalArgumentException("invalid HTTP limits " + threads + "/" + queue + "/" + maxConnections
                    + "/" + idleTimeoutMs + "/" + headerTimeoutMs + "/" + readTimeoutMs + "/" + maxBodyBytes);
        }
    }

    /**
     * The default limits with the given threads and body limit.
     *
     * @param threads handler threads
     * @param maxBodyBytes the largest request body
     * @return the limits
     */
    public static HttpLimits defaults(final int threads, final long maxBodyBytes) {
        return new HttpLimits(
                threads,
                DEFAULT_QUEUE,
                DEFAULT_MAX_CONNECTIONS,
                DEFAULT_IDLE_TIMEOUT_MS,
                DEFAULT_HEADER_TIMEOUT_MS,
                DEFAULT_READ_TIMEOUT_MS,
                maxBodyBytes);
    }

    /**
     * Declares the keys {@code <prefix>threads}, {@code queue}, {@code max.connections}, {@code
     * idle.timeout.ms}, {@code header.timeout.ms} and {@code read.timeout.ms}.
     *
     * @param def the service's definition
     * @param prefix its prefix, ending with a dot ({@code scissor.http.})
     * @return {@code def}
     */
    public static ConfigDef define(final ConfigDef def, final String prefix) {
        return def.define(
                        prefix + THREADS,
                        Type.INT,
                        DEFAULT_THREADS,
                        Range.between(1, 256),
                        Importance.LOW,
                        "HTTP handler threads: requests answered at once. A request's body is read before it "
                                + "gets a thread, so slow clients do not hold one.")
                .define(
                        prefix + QUEUE,
                        Type.INT,
                        DEFAULT_QUEUE,
                        Range.between(0, 100_000),
                        Importance.LOW,
                        "HTTP requests (body received) that may wait for a handler thread; past this they get "
                                + "503 with Retry-After.")
                .define(
                        prefix + MAX_CONNECTIONS,
                        Type.INT,
                        DEFAULT_MAX_CONNECTIONS,
                        Range.between(1, 1_000_000),
                        Importance.LOW,
                        "Open HTTP connections at most; past it the server stops accepting until " + "one closes.")
                .define(
                        prefix + IDLE_TIMEOUT_MS,
                        Type.LONG,
                        DEFAULT_IDLE_TIMEOUT_MS,
                        Range.between(100, 3_600_000),
                        Importance.LOW,
                        "An HTTP connection that sends and receives nothing this long is closed.")
                .define(
                        prefix + HEADER_TIMEOUT_MS,
                        Type.LONG,
                        DEFAULT_HEADER_TIMEOUT_MS,
                        Range.between(100, 600_000),
                        Importance.LOW,
                        "A client that takes longer than this to "
                                + "send a request's line and headers (counted from the connection's opening or "
                                + "its previous answer) is disconnected.")
                .define(
                        prefix + READ_TIMEOUT_MS,
                        Type.LONG,
                        DEFAULT_READ_TIMEOUT_MS,
                        Range.between(100, 3_600_000),
                        Importance.LOW,
                        "A request whose body takes longer than this to arrive (after its "
                                + "headers) is answered 408 and its connection closed.");
    }

    /**
     * Reads the keys of {@link #define}.
     *
     * @param config the parsed configuration
     * @param prefix the prefix given to {@link #define}
     * @param maxBodyBytes the largest request body
     * @return the limits
     */
    public static HttpLimits from(final AbstractConfig config, final String prefix, final long maxBodyBytes) {
        return new HttpLimits(
                config.getInt(prefix + THREADS),
                config.getInt(prefix + QUEUE),
                config.getInt(prefix + MAX_CONNECTIONS),
                config.getLong(prefix + IDLE_TIMEOUT_MS),
                config.getLong(prefix + HEADER_TIMEOUT_MS),
                config.getLong(prefix + READ_TIMEOUT_MS),
                maxBodyBytes);
    }
}
