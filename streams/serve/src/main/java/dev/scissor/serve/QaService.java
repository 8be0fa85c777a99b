package dev.scissor.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.consumer.Window;
import dev.scissor.consumer.WindowConsumer;
import dev.scissor.http.HttpService;
import dev.scissor.http.HttpService.HttpError;
import dev.scissor.http.HttpService.Request;
import dev.scissor.http.HttpService.Response;
import dev.scissor.metrics.Metrics;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QA service: indexes the {@code windows} topic (every partition, the last {@code
 * scissor.serve.history.seconds} of each stream) and answers over HTTP.
 *
 * <ul>
 *   <li>{@code POST /v1/ask {"stream", "question", "seconds", "max_windows"}}: the stream's windows
 *       of the last {@code seconds} (default 60, before its newest window's end; the newest {@code
 *       max_windows}, default {@value #DEFAULT_MAX_ASK_WINDOWS}, at most {@code
 *       scissor.serve.ask.max.windows}, and at most {@code scissor.serve.ask.max.request.bytes} of
 *       tokens) as an OpenAI-compatible chat request
 *       with {@code image_embeds} parts ({@link LlmRequests}); sent to {@code scissor.serve.llm.url}
 *       and answered with {@code {"sent": true, "answer", "response", "windows"}}, or, with no URL,
 *       {@code {"sent": false, "request", "windows"}} where {@code request} is exactly what would be
 *       sent;
 *   <li>{@code POST /v1/find {"stream", "image": base64 JPEG/PNG, "top", "frame_width",
 *       "frame_height"}}: query by example, the windows ranked by {@link FindScorer}; the image is
 *       tiled to the frame size (default {@value #DEFAULT_FRAME_WIDTH}x{@value #DEFAULT_FRAME_HEIGHT})
 *       so that a crop is seen at its in-frame scale;
 *   <li>{@code GET /v1/streams}, {@code GET /v1/streams/{id}/windows}: what is indexed;
 *   <li>{@code GET /v1/streams/{id}/windows/latest}: forwarded to the compressor instances;
 *   <li>{@code GET /metrics}: Prometheus metrics.
 * </ul>
 *
 * <p>In-process use: {@code new QaService(config)}, {@link #start()}, then {@link #find}, {@link
 * #awaitWindows} or HTTP on {@link #port()}; {@link #close()} stops the HTTP server, the consumer
 * thread (which closes its consumer) and the query encoder, each closed by this object only.
 */
public final class QaService implements AutoCloseable {

    /** Default {@code max_windows} of {@code /v1/ask}. */
    public static final int DEFAULT_MAX_ASK_WINDOWS = 64;
    /** Frame size /v1/find assumes when the request gives none: the capture stage's default maximum. */
    public static final int DEFAULT_FRAME_WIDTH = 640;
    /** See {@link #DEFAULT_FRAME_WIDTH}. */
    public static final int DEFAULT_FRAME_HEIGHT = 480;

    private static final Logger LOG = LoggerFactory.getLogger(QaService.class);

    /** A ranked window of {@link #find}. */
    public record FindResult(
            String stream,
            long firstSequence,
            long lastSequence,
            long firstTimestamp,
            long lastTimestamp,
            double score,
            double similarity,
            List<Long> frames) {}

    private final ServeConfig config;
    private final String apiKey;
    private final WindowIndex index;
    private final LlmRequests llm;
    private final Metrics metrics = new Metrics();
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final CountDownLatch consumerStopped = new CountDownLatch(1);
    /**
     * The bearer token this service requires and sends to the compressors (both take it from
     * {@value HttpService#TOKEN_ENV}), or {@code null}.
     */
    private final String httpToken;

    private volatile double lag = Double.NaN;
    private volatile boolean stopping;
    private volatile Throwable consumerFailure;
    private volatile QueryEncoder queryEncoder;
    private volatile String encoderProblem = "the query encoder is not loaded yet";
    private Thread consumerThread;
    private WindowConsumer consumer;
    private Metrics.KafkaBinding consumerMetrics;
    private HttpService http;

    /**
     * A service whose LLM API key comes from {@value ServeConfig#API_KEY_ENV}.
     *
     * @param config the configuration
     */
    public QaService(final ServeConfig config) {
        this(config, System.getenv(ServeConfig.API_KEY_ENV));
    }

    /**
     * A service with an explicit LLM API key (for tests and embedding).
     *
     * @param config the configuration
     * @param apiKey the bearer token, or {@code null}
     */
    public QaService(final ServeConfig config, final String apiKey) {
        this(config, apiKey, HttpService.environmentToken());
    }

    /**
     * A service with an explicit LLM API key and HTTP bearer token (for tests and embedding).
     *
     * @param config the configuration
     * @param apiKey the LLM's bearer token, or {@code null}
     * @param httpToken the bearer token this service's routes (but {@code GET /metrics}) require and
     *     that it sends to the compressors, or {@code null} for none
     */
    public QaService(final ServeConfig config, final String apiKey, final String httpToken) {
        this.httpToken = httpToken;
        this.config = Objects.requireNonNull(config, "config");
        this.apiKey = apiKey;
        this.index =
                new WindowIndex(config.historySeconds() * 1000, config.maxWindowsPerStream(), config.maxIndexBytes());
        this.llm = new LlmRequests(
                config.llmUrl(),
                config.llmModel(),
                Duration.ofMillis(config.llmTimeoutMs()),
                apiKey,
                config.embedsFormat(),
                config.embedsDtype());
        registerMetrics();
    }

    /**
     * Starts reading the windows topic, loads the query encoder (when it cannot be loaded, {@code
     * /v1/find} answers 503 and everything else works), and starts the HTTP server.
     *
     * @throws IOException when the port cannot be bound
     * @throws IllegalStateException when already started or the windows topic does not exist
     */
    public void start() throws IOException {
        start(onMalformed -> WindowConsumer.assignAll(
                config.consumerProperties(),
                config.windowsTopic(),
                Instant.now().minusSeconds(config.historySeconds()),
                onMalformed));
    }

    /**
     * {@link #start()} with the windows consumer opened by the caller (tests give one over a {@code
     * MockConsumer}); the service owns and closes it.
     *
     * @param openConsumer opens the consumer, given the callback that counts and logs malformed
     *     records
     * @throws IOException when the port cannot be bound
     */
    synchronized void start(final Function<Consumer<WindowConsumer.Malformed>, WindowConsumer> openConsumer)
            throws IOException {
        if (consumerThread != null) {
            throw new IllegalStateException("already started");
        }
        consumer = openConsumer.apply(bad -> {
            malformed.incrementAndGet();
            LOG.warn("skipped a malformed window: {}", bad);
        });
        consumerMetrics = consumer.bindMetrics(metrics::bindKafka);
        consumerThread = new Thread(this::consume, "scissor-serve-consumer");
        consumerThread.setDaemon(true);
        consumerThread.start();
        try {
            queryEncoder = new QueryEncoder(
                    config.encoderDescriptor(),
                    (int) Math.min(Integer.MAX_VALUE, config.maxBodyBytes()),
                    config.findMaxPixels());
            encoderProblem = null;
        } catch (final Exception e) {
            encoderProblem = "the query encoder '" + config.encoderModel() + "' could not be loaded: " + e.getMessage();
            LOG.warn("{}; /v1/find is unavailable", encoderProblem, e);
        }
        http = HttpService.start("qa", config.bind(), config.port(), config.httpLimits());
        http.requireBearer(httpToken);
        http.route("POST", "/v1/ask", RouteMetrics.timed(metrics, "ask", new AskHandler(config, index, llm)))
                .route("POST", "/v1/find", RouteMetrics.timed(metrics, "find", this::handleFind))
                .route(
                        "GET",
                        "/v1/streams",
                        RouteMetrics.timed(metrics, "streams", r -> Response.json(200, QaJson.streams(index))))
                .route("GET", "/v1/streams/{id}/windows", RouteMetrics.timed(metrics, "windows", this::handleWindows))
                .route(
                        "GET",
                        "/v1/streams/{id}/windows/latest",
                        RouteMetrics.timed(metrics, "latest", new CompressorProxy(config.compressorUrls(), httpToken)));
        metrics.expose(http);
        LOG.info(
                "QA service on {}:{}: windows from '{}', LLM {}",
                config.bind(),
                http.port(),
                config.windowsTopic(),
                llm.hasServer() ? llm.endpoint() : "none (/v1/ask returns the request)");
    }

    private void consume() {
        try {
            while (!stopping) {
                final List<Window> windows = consumer.poll(Duration.ofMillis(500));
                for (final Window w : windows) {
                    index.add(w);
                }
                consumed.addAndGet(windows.size());
                lag = consumer.maxLag();
            }
        } catch (final WakeupException e) {
            if (!stopping) {
                consumerFailure = e;
            }
        } catch (final RuntimeException e) {
            consumerFailure = e;
            LOG.error("the windows consumer failed; the index no longer grows", e);
        } finally {
            consumerMetrics.close();
            consumer.close();
            consumerStopped.countDown();
        }
    }

    /** The bound HTTP port. */
    public int port() {
        return http.port();
    }

    /** The HTTP server (for diagnostics: its open connections and busy handlers), or {@code null} before start. */
    public HttpService http() {
        return http;
    }

    /** The index of windows held. */
    public WindowIndex index() {
        return index;
    }

    /** The metrics registry (served on {@code /metrics}). */
    public Metrics metrics() {
        return metrics;
    }

    /** Windows read from the topic so far. */
    public long windowsConsumed() {
        return consumed.get();
    }

    /** Malformed records skipped so far. */
    public long malformedWindows() {
        return malformed.get();
    }

    /** What stopped the consumer thread, or {@code null}. */
    public Throwable consumerFailure() {
        return consumerFailure;
    }

    /**
     * Waits until a stream has at least {@code count} windows indexed.
     *
     * @param stream the stream
     * @param count how many
     * @param timeout how long to wait
     * @return true when they are there
     * @throws InterruptedException when interrupted
     */
    public boolean awaitWindows(final String stream, final int count, final Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (index.windows(stream).size() < count) {
            if (System.nanoTime() > deadline || consumerFailure != null) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /**
     * Query by example: the stream's windows ranked by how well they match an image.
     *
     * @param stream the stream
     * @param image JPEG or PNG bytes
     * @param top how many to return
     * @return the best windows, best first (empty for an unknown stream)
     * @throws QueryEncoder.BadImageException when the image cannot be read
     * @throws IllegalStateException when the query encoder is unavailable
     * @throws Exception when the model fails
     */
    public List<FindResult> find(final String stream, final byte[] image, final int top) throws Exception {
        return find(stream, image, top, DEFAULT_FRAME_WIDTH, DEFAULT_FRAME_HEIGHT);
    }

    /**
     * Query by example with the size of the stream's frames: the image (a crop of a frame) is
     * tiled to that size before it is encoded ({@link QueryEncoder#encodeAtFrameScale}), so the
     * model sees it at the scale it has in the frames; on the pedestrians clip this took the
     * window of a cropped person from chance to first in 35 of 40 frames.
     *
     * @param stream the stream
     * @param image JPEG or PNG bytes
     * @param top how many to return
     * @param frameWidth the width of the stream's frames as captured
     * @param frameHeight their height
     * @return the best windows, best first (empty for an unknown stream)
     * @throws QueryEncoder.BadImageException when the image cannot be read
     * @throws QueryEncoder.TooLargeException when the image, the frame or the tiling has more pixels
     *     than {@value ServeConfig#FIND_MAX_PIXELS} allows (checked before decoding)
     * @throws IllegalStateException when the query encoder is unavailable
     * @throws Exception when the model fails
     */
    public List<FindResult> find(
            final String stream, final byte[] image, final int top, final int frameWidth, final int frameHeight)
            throws Exception {
        final QueryEncoder enc = queryEncoder;
        if (enc == null) {
            throw new IllegalStateException(encoderProblem);
        }
        final float[] query = enc.encodeAtFrameScale(image, frameWidth, frameHeight);
        final List<Window> windows = index.windows(stream);
        final List<FindResult> out = new ArrayList<>();
        for (final FindScorer.Scored s : FindScorer.rank(query, enc.tokenDim(), windows)) {
            if (out.size() >= top) {
                break;
            }
            final Window w = s.window();
            out.add(new FindResult(
                    stream,
                    w.firstSequence(),
                    w.lastSequence(),
                    w.firstTimestampMs(),
                    w.lastTimestampMs(),
                    s.score(),
                    s.similarity(),
                    w.frameSequences()));
        }
        return out;
    }

    private Response handleFind(final Request r) throws Exception {
        final ObjectNode body = r.json();
        final String stream = QaFields.text(body, "stream");
        final String b64 = QaFields.text(body, "image");
        final int top = QaFields.integer(body, "top", 5, 1, 1000, "top must be an integer from 1 to 1000");
        final String frameError = "frame_width and frame_height must be 1 to 16384";
        final int fw = QaFields.integer(body, "frame_width", DEFAULT_FRAME_WIDTH, 1, 16384, frameError);
        final int fh = QaFields.integer(body, "frame_height", DEFAULT_FRAME_HEIGHT, 1, 16384, frameError);
        final byte[] image;
        try {
            // Strict (not the MIME decoder, which skips any character it does not know); line breaks
            // as in `base64` output are fine.
            image = Base64.getDecoder()
                    .decode(b64.replaceFirst("^data:[^,]*,", "").replaceAll("\\s", ""));
        } catch (final IllegalArgumentException e) {
            throw new HttpError(400, "image is not base64: " + e.getMessage());
        }
        if (index.windows(stream).isEmpty()) {
            throw new HttpError(404, "no windows of stream '" + stream + "' are indexed (GET /v1/streams lists them)");
        }
        final List<FindResult> results;
        try {
            QueryEncoder.plan(image, fw, fh, config.findMaxPixels());
            results = find(stream, image, top, fw, fh);
        } catch (final QueryEncoder.BadImageException e) {
            throw new HttpError(400, e.getMessage());
        } catch (final QueryEncoder.TooLargeException e) {
            throw new HttpError(413, e.getMessage());
        } catch (final IllegalStateException e) {
            throw new HttpError(503, e.getMessage());
        }
        return QaJson.find(stream, results);
    }

    private Response handleWindows(final Request r) {
        final List<Window> windows = index.windows(r.param("id"));
        if (windows.isEmpty()) {
            throw new HttpError(404, "no windows of stream '" + r.param("id") + "' are indexed");
        }
        final int most = config.maxWindowsPerStream();
        final String limitError = "limit must be an integer from 1 to " + most;
        int limit = Math.min(100, most);
        if (r.query().containsKey("limit")) {
            try {
                limit = Integer.parseInt(r.query().get("limit"));
            } catch (final NumberFormatException e) {
                throw new HttpError(400, limitError);
            }
            if (limit < 1 || limit > most) {
                throw new HttpError(400, limitError);
            }
        }
        final List<Window> recent = windows.subList(Math.max(0, windows.size() - limit), windows.size());
        final ObjectNode out = HttpService.JSON.createObjectNode();
        out.put("stream", r.param("id")).put("held", windows.size());
        out.set("windows", QaJson.windows(recent));
        return Response.json(200, out);
    }

    private void registerMetrics() {
        metrics.counter("scissor_serve_windows_consumed_total", "Windows read from the windows topic.", consumed::get);
        metrics.counter(
                "scissor_serve_malformed_windows_total",
                "Records of the windows topic skipped as malformed.",
                malformed::get);
        metrics.gauges("scissor_serve_windows_held", "Windows held in the index, per stream.", () -> {
            final Map<Tags, Integer> out = new HashMap<>();
            index.counts().forEach((s, n) -> out.put(Tags.of("stream", s), n));
            return out;
        });
        metrics.gauge(
                "scissor_serve_index_bytes",
                "Bytes of window tokens held (scissor.serve.max.index.bytes bounds " + "it).",
                index::bytes);
        metrics.counter(
                "scissor_serve_windows_evicted_for_memory_total",
                "Windows dropped to stay within scissor.serve.max.index.bytes.",
                index::evictedForMemory);
        metrics.gauge(
                "scissor_serve_consumer_lag_records",
                "Largest lag of the windows consumer in records " + "(records-lag-max); NaN before the first fetch.",
                () -> lag);
    }

    /**
     * Stops the HTTP server, the consumer thread (closing its consumer), the query encoder, and
     * closes the metrics registry.
     */
    @Override
    public synchronized void close() {
        stopping = true;
        if (http != null) {
            http.close();
        }
        if (consumer != null) {
            try {
                consumer.wakeup();
            } catch (final RuntimeException alreadyClosed) {
                // the consumer thread has ended and closed it
            }
            try {
                consumerStopped.await(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (queryEncoder != null) {
            queryEncoder.close();
            queryEncoder = null;
        }
        metrics.close();
    }
}
