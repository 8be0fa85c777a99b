package dev.scissor.serve;

import dev.scissor.http.HttpService;
import dev.scissor.http.HttpService.HttpError;
import dev.scissor.http.HttpService.Request;
import dev.scissor.http.HttpService.Response;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code GET /v1/streams/{id}/windows/latest} of {@link QaService}: forwarded to the compressor instances in turn. */
final class CompressorProxy implements HttpService.Handler {

    private final HttpClient proxyClient =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> compressorUrls;
    /** The bearer token sent to the compressors, or {@code null}. */
    private final String httpToken;

    CompressorProxy(final List<String> compressorUrls, final String httpToken) {
        this.compressorUrls = compressorUrls;
        this.httpToken = httpToken;
    }

    @Override
    public Response handle(final Request r) {
        final String path = "/v1/streams/"
                + URLEncoder.encode(r.param("id"), StandardCharsets.UTF_8).replace("+", "%20") + "/windows/latest";
        final List<String> tried = new ArrayList<>();
        for (final String base : compressorUrls) {
            try {
                final HttpRequest.Builder request =
                        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
                if (httpToken != null) {
                    request.header("Authorization", HttpService.bearer(httpToken));
                }
                final HttpResponse<byte[]> resp =
                        proxyClient.send(request.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (resp.statusCode() < 500) {
                    return new Response(
                            resp.statusCode(),
                            resp.headers().firstValue("Content-Type").orElse("application/json"),
                            resp.body());
                }
                tried.add(base + " answered " + resp.statusCode());
            } catch (final IOException e) {
                tried.add(base + ": " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HttpError(503, "interrupted");
            }
        }
        throw new HttpError(
                502,
                "no compressor instance answered " + path + " (" + String.join("; ", tried)
                        + "); check scissor.serve.compressor.urls");
    }
}
