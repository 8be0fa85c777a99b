package dev.scissor.http;

import dev.scissor.http.HttpService.HttpError;
import dev.scissor.http.HttpService.Request;
import dev.scissor.http.HttpService.Response;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One request of {@link HttpService}: its route, its body as it arrives, and the one answer it gets. */
final class Exchange implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpService.class);

    private final HttpService service;
    private final HttpLimits limits;
    private final org.eclipse.jetty.server.Request request;
    private final org.eclipse.jetty.server.Response response;
    private final Callback callback;
    private final Watch watch;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private String method;
    private String path;
    private Routing.Route route;
    private Map<String, String> params;
    private Scheduler.Task timeout;

    Exchange(
            final HttpService service,
            final org.eclipse.jetty.server.Request request,
            final org.eclipse.jetty.server.Response response,
            final Callback callback,
            final Watch watch) {
        this.service = service;
        this.limits = service.limits();
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
        final byte[] required = service.tokenDigest();
        if (required != null
                && !(HttpService.METRICS_PATH.equals(path) && (method.equals("GET") || method.equals("HEAD")))
                && !BearerTokens.authorized(request.getHeaders().get(HttpHeader.AUTHORIZATION), required)) {
            throw new HttpError(
                    401,
                    "this endpoint requires the header 'Authorization: Bearer <token>' with the "
                            + "token the server was started with (environment variable " + HttpService.TOKEN_ENV
                            + "); only GET "
                            + HttpService.METRICS_PATH + " is open");
        }
        final String[] segments = Routing.split(path);
        boolean pathKnown = false;
        for (final Routing.Route r : service.routes()) {
            final Map<String, String> p = Routing.match(r.segments(), segments);
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
        timeout = service.scheduler().schedule(this::expire, limits.readTimeoutMs(), TimeUnit.MILLISECONDS);
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
                    send(JsonErrors.error(408, "the request body stopped arriving"), true);
                } else if (answered.compareAndSet(false, true)) {
                    callback.failed(chunk.getFailure());
                }
                return;
            }
            final ByteBuffer bytes = chunk.getByteBuffer();
            if (body.size() + (long) bytes.remaining() > limits.maxBodyBytes()) {
                chunk.release();
                timeout.cancel();
                send(
                        JsonErrors.error(
                                413, "the body is larger than the " + limits.maxBodyBytes() + " bytes accepted"),
                        true);
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
        send(JsonErrors.error(408, "the request body did not arrive within " + limits.readTimeoutMs() + " ms"), true);
    }

    private void dispatch() {
        try {
            service.handlers().execute(() -> send(answer(), false));
        } catch (final RejectedExecutionException e) {
            send(
                    JsonErrors.error(
                                    503,
                                    "the server is busy (" + limits.threads() + " requests running, " + limits.queue()
                                            + " waiting); retry shortly")
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
                            Routing.query(request.getHttpURI().getQuery()),
                            headers,
                            body.toByteArray()));
        } catch (final HttpError e) {
            return JsonErrors.error(e.status(), e.getMessage());
        } catch (final Exception e) {
            LOG.warn("{} {} failed", method, request.getHttpURI(), e);
            return JsonErrors.error(500, "internal error: " + e);
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
