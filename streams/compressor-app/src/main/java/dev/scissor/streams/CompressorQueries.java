package dev.scissor.streams;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.http.HttpService;
import dev.scissor.http.HttpService.HttpError;
import dev.scissor.http.HttpService.Request;
import dev.scissor.http.HttpService.Response;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.CompressionParams;
import dev.scissor.schemas.avro.WindowStats;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compressor's interactive query over HTTP: {@code GET /v1/streams/{id}/windows/latest} answers
 * the latest compressed window of a stream, from whichever compressor instance owns it.
 *
 * <ul>
 *   <li>This instance owns the stream's partition: the answer comes from its local {@link
 *       LatestWindows} store; 404 {@code {"error": ...}} when the stream has no window yet.
 *   <li>Another instance owns it: the request is forwarded to that instance's {@code
 *       application.server} with the {@value #FORWARDED_HEADER} header, and its answer (status, body,
 *       {@code Retry-After}) is passed through. A forwarded request is never forwarded again.
 *   <li>The owner is unknown, the store is not queryable (rebalancing, restoring) or the owner is
 *       unreachable: 503 with {@code Retry-After: 1}.
 * </ul>
 *
 * <p>The 200 body is the window's metadata as JSON ({@link #toJson(CompressedWindow, boolean)}) plus
 * {@code "servedBy": "host:port"}, the instance that read its store; with {@code ?tokens=true} it
 * also carries {@code "tokens"}: base64 of the little-endian token matrix ({@code tokenCount x
 * tokenDim}, row-major) in the window's {@code dtype} ({@code FLOAT32} or {@code FLOAT16}).
 *
 * <pre>{@code
 * HttpService http = HttpService.start("compressor", "0.0.0.0", 8081, 4, 1 << 16);
 * CompressorApp app = new CompressorApp(config, http); // registers this route
 * // curl http://host:8081/v1/streams/lobby/windows/latest?tokens=true
 * }</pre>
 */
public final class CompressorQueries {

    /** The route. */
    public static final String ROUTE = "/v1/streams/{id}/windows/latest";
    /** Marks a forwarded request (its value: the forwarding instance); such a request is answered locally. */
    public static final String FORWARDED_HEADER = "X-Scissor-Forwarded-By";

    private static final Logger LOG = LoggerFactory.getLogger(CompressorQueries.class);
    private static final String RETRY_AFTER_SECONDS = "1";

    private final LatestWindows latest;
    private final String self;
    private final HostInfo selfHost;
    private final HttpClient client;
    private final Duration timeout;
    private final String token;

    /**
     * Queries of one compressor instance.
     *
     * @param latest the instance's store of latest windows
     * @param applicationServer the instance's {@code application.server} ({@code host:port})
     */
    public CompressorQueries(final LatestWindows latest, final String applicationServer) {
        this(
                latest,
                applicationServer,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(),
                Duration.ofSeconds(10));
    }

    /**
     * Queries of one compressor instance whose forwarded requests carry a bearer token.
     *
     * @param latest the instance's store of latest windows
     * @param applicationServer the instance's {@code application.server} ({@code host:port})
     * @param token the bearer token the other instances require, or {@code null}
     */
    public CompressorQueries(final LatestWindows latest, final String applicationServer, final String token) {
        this(
                latest,
                applicationServer,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(),
                Duration.ofSeconds(10),
                token);
    }

    /**
     * Queries of one compressor instance, forwarding with the given client.
     *
     * @param latest the instance's store of latest windows
     * @param applicationServer the instance's {@code application.server} ({@code host:port})
     * @param client the client of forwarded requests
     * @param timeout how long a forwarded request may take
     */
    public CompressorQueries(
            final LatestWindows latest,
            final String applicationServer,
            final HttpClient client,
            final Duration timeout) {
        this(latest, applicationServer, client, timeout, HttpService.environmentToken());
    }

    /**
     * Queries of one compressor instance, forwarding with the given client and bearer token.
     *
     * @param latest the instance's store of latest windows
     * @param applicationServer the instance's {@code application.server} ({@code host:port})
     * @param client the client of forwarded requests
     * @param timeout how long a forwarded request may take
     * @param token the bearer token forwarded requests carry (the other instances require it), or {@code null}
     */
    public CompressorQueries(
            final LatestWindows latest,
            final String applicationServer,
            final HttpClient client,
            final Duration timeout,
            final String token) {
        this.token = token;
        this.latest = Objects.requireNonNull(latest, "latest");
        this.self = Objects.requireNonNull(applicationServer, "applicationServer");
        this.selfHost = HostInfo.buildFromEndpoint(applicationServer);
        this.client = Objects.requireNonNull(client, "client");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Adds the route to a server.
     *
     * @param http the instance's HTTP endpoint (the one named by its {@code application.server})
     * @return this
     */
    public CompressorQueries register(final HttpService http) {
        http.route("GET", ROUTE, this::latestWindow);
        return this;
    }

    private Response latestWindow(final Request request) {
        final String streamId = request.param("id");
        final boolean tokens = "true".equalsIgnoreCase(request.query().get("tokens"));
        final boolean forwarded = request.headers().containsKey(FORWARDED_HEADER.toLowerCase(java.util.Locale.ROOT));
        final KeyQueryMetadata owner;
        try {
            owner = latest.owner(streamId);
        } catch (final StreamsException | IllegalStateException e) {
            return unavailable("the compressor is not running yet (" + e.getMessage() + ")");
        }
        if (owner == null
                || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)
                || owner.activeHost() == null
                || owner.activeHost().port() < 0) {
            return unavailable("the owner of stream '" + streamId + "' is not known yet (the compressor is "
                    + "starting or rebalancing)");
        }
        if (owner.activeHost().equals(selfHost)) {
            return local(streamId, tokens);
        }
        if (forwarded) {
            return unavailable("this instance (" + self + ") does not own stream '" + streamId + "', "
                    + owner.activeHost() + " does, but a forwarded request came here: ownership is moving");
        }
        return forward(owner.activeHost(), streamId, tokens);
    }

    private Response local(final String streamId, final boolean tokens) {
        final Optional<CompressedWindow> window;
        try {
            window = latest.latest(streamId);
        } catch (final InvalidStateStoreException e) {
            return unavailable("the store of latest windows is not queryable now (" + e.getMessage() + ")");
        }
        if (window.isEmpty()) {
            throw new HttpError(
                    404,
                    "no window for stream '" + streamId + "' yet (unknown stream, or fewer frames "
                            + "than one window)");
        }
        final ObjectNode body = toJson(window.get(), tokens);
        body.put("servedBy", self);
        return Response.json(200, body);
    }

    private Response forward(final HostInfo owner, final String streamId, final boolean tokens) {
        final URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + "/v1/streams/"
                + URLEncoder.encode(streamId, StandardCharsets.UTF_8).replace("+", "%20") + "/windows/latest"
                + (tokens ? "?tokens=true" : ""));
        final HttpRequest.Builder b =
                HttpRequest.newBuilder(uri).timeout(timeout).header(FORWARDED_HEADER, self);
        if (token != null) {
            b.header("Authorization", HttpService.bearer(token));
        }
        final HttpRequest forwarded = b.GET().build();
        final HttpResponse<byte[]> answer;
        try {
            answer = client.send(forwarded, HttpResponse.BodyHandlers.ofByteArray());
        } catch (final IOException e) {
            LOG.debug("forwarding {} to {} failed", uri, owner, e);
            return unavailable("the owner of stream '" + streamId + "', " + owner.host() + ":" + owner.port()
                    + ", cannot be reached (" + e + ")");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable("interrupted while asking " + owner.host() + ":" + owner.port());
        }
        Response response = new Response(
                answer.statusCode(),
                answer.headers().firstValue("Content-Type").orElse("application/json"),
                answer.body());
        final Optional<String> retry = answer.headers().firstValue("Retry-After");
        if (retry.isPresent()) {
            response = response.withHeader("Retry-After", retry.get());
        }
        return response;
    }

    private static Response unavailable(final String message) {
        return Response.json(503, Map.of("error", message + "; retry")).withHeader("Retry-After", RETRY_AFTER_SECONDS);
    }

    /**
     * A window as JSON: every metadata field of {@link CompressedWindow} under its Avro name
     * ({@code streamId}, {@code firstSequence}, {@code lastSequence}, {@code firstTimestamp},
     * {@code lastTimestamp}, {@code frameCount}, {@code frameSequences}, {@code params}, {@code
     * stats}, {@code emitReason}, {@code tokenCount}, {@code tokenDim}, {@code dtype} and the
     * per-token {@code mergedCounts}, {@code firstFrame}, {@code lastFrame}, {@code meanRow}, {@code
     * meanCol}), and when asked {@code tokens}: base64 of the little-endian bytes, elements of
     * {@code dtype}.
     *
     * @param w the window
     * @param tokens whether to include the tokens
     * @return a new JSON object
     */
    public static ObjectNode toJson(final CompressedWindow w, final boolean tokens) {
        final ObjectNode o = HttpService.JSON.createObjectNode();
        o.put("streamId", w.getStreamId());
        o.put("firstSequence", w.getFirstSequence());
        o.put("lastSequence", w.getLastSequence());
        o.put("firstTimestamp", w.getFirstTimestamp());
        o.put("lastTimestamp", w.getLastTimestamp());
        o.put("frameCount", w.getFrameCount());
        longs(o.putArray("frameSequences"), w.getFrameSequences());
        final CompressionParams p = w.getParams();
        final ObjectNode params = o.putObject("params");
        params.put("mode", p.getMode());
        params.put("tau", p.getTau());
        params.put("epsilon", p.getEpsilon());
        if (p.getBudget() == null) {
            params.putNull("budget");
        } else {
            params.put("budget", p.getBudget());
        }
        if (p.getRetention() == null) {
            params.putNull("retention");
        } else {
            params.put("retention", p.getRetention());
        }
        params.put("windowFrames", p.getWindowFrames());
        params.put("hopFrames", p.getHopFrames());
        final WindowStats s = w.getStats();
        final ObjectNode stats = o.putObject("stats");
        stats.put("tokensIn", s.getTokensIn());
        stats.put("spatialTokens", s.getSpatialTokens());
        stats.put("tokensOut", s.getTokensOut());
        stats.put("computeMicros", s.getComputeMicros());
        o.put("emitReason", w.getEmitReason().name());
        o.put("tokenCount", w.getTokenCount());
        o.put("tokenDim", w.getTokenDim());
        o.put("dtype", w.getDtype().name());
        final ArrayNode merged = o.putArray("mergedCounts");
        w.getMergedCounts().forEach(merged::add);
        longs(o.putArray("firstFrame"), w.getFirstFrame());
        longs(o.putArray("lastFrame"), w.getLastFrame());
        final ArrayNode rows = o.putArray("meanRow");
        w.getMeanRow().forEach(rows::add);
        final ArrayNode cols = o.putArray("meanCol");
        w.getMeanCol().forEach(cols::add);
        if (tokens) {
            final ByteBuffer b = w.getTokens().duplicate();
            final byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            o.put("tokens", Base64.getEncoder().encodeToString(bytes));
        }
        return o;
    }

    private static void longs(final ArrayNode array, final List<Long> values) {
        values.forEach(array::add);
    }
}
