package dev.scissor.serve;

import dev.scissor.http.HttpService;
import dev.scissor.http.HttpService.HttpError;
import dev.scissor.http.HttpService.Response;
import dev.scissor.metrics.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Per-route request metrics of {@link QaService}: a timer and a counter by status around each handler. */
final class RouteMetrics {

    private RouteMetrics() {}

    static HttpService.Handler timed(final Metrics metrics, final String route, final HttpService.Handler handler) {
        final Timer timer = Timer.builder("scissor_serve_request_seconds")
                .description("Time answering, per route.")
                .tag("route", route)
                .register(metrics.registry());
        return r -> {
            final long t0 = System.nanoTime();
            int status = 500;
            try {
                final Response resp = handler.handle(r);
                status = resp.status();
                return resp;
            } catch (final HttpError e) {
                status = e.status();
                throw e;
            } finally {
                Counter.builder("scissor_serve_requests_total")
                        .description("HTTP requests by route and status.")
                        .tags("route", route, "status", Integer.toString(status))
                        .register(metrics.registry())
                        .increment();
                timer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            }
        };
    }
}
