package dev.scissor.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpServiceTest {

    private static HttpService service;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        service = HttpService.start("test", "127.0.0.1", 0, 2, 100)
                .route(
                        "GET",
                        "/v1/streams/{id}/windows/latest",
                        r -> HttpService.Response.json(
                                200,
                                java.util.Map.of(
                                        "stream", r.param("id"), "q", r.query().getOrDefault("x", ""))))
                .route("POST", "/v1/echo", r -> HttpService.Response.json(200, r.json()))
                .route("GET", "/boom", r -> {
                    throw new IllegalStateException("kaput");
                });
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static HttpResponse<String> send(final HttpRequest.Builder b) throws Exception {
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }

    private static JsonNode json(final HttpResponse<String> r) throws Exception {
        return HttpService.JSON.readTree(r.body());
    }

    @Test
    void routesWithPathAndQueryParameters() throws Exception {
        final HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/streams/cam%201/windows/latest?x=a%26b")));
        assertEquals(200, r.statusCode());
        assertEquals("cam 1", json(r).get("stream").asText());
        assertEquals("a&b", json(r).get("q").asText());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
    }

    @Test
    void headIsAnsweredLikeGetWithoutABody() throws Exception {
        final HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/streams/cam/windows/latest"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        assertEquals("", r.body());
    }

    @Test
    void echoesJsonAndRejectsBadBodies() throws Exception {
        final HttpResponse<String> ok =
                send(HttpRequest.newBuilder(uri("/v1/echo")).POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")));
        assertEquals(1, json(ok).get("a").asInt());
        final HttpResponse<String> bad =
                send(HttpRequest.newBuilder(uri("/v1/echo")).POST(HttpRequest.BodyPublishers.ofString("[1]")));
        assertEquals(400, bad.statusCode());
        assertTrue(json(bad).get("error").asText().contains("JSON object"));
        final HttpResponse<String> big = send(HttpRequest.newBuilder(uri("/v1/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\":\"" + "x".repeat(200) + "\"}")));
        assertEquals(413, big.statusCode());
    }

    @Test
    void answersUnknownPathsMethodsAndFailures() throws Exception {
        assertEquals(404, send(HttpRequest.newBuilder(uri("/nope"))).statusCode());
        // A malformed escape (which the JDK client refuses to send) is a 400, not a 500.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", service.port())) {
            socket.getOutputStream()
                    .write(("GET /v1/streams/a/windows/latest?x=%ZZ HTTP/1.1\r\nHost: x\r\n"
                                    + "Connection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            final String status = new String(
                            socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII)
                    .lines()
                    .findFirst()
                    .orElse("");
            assertTrue(status.startsWith("HTTP/1.1 400"), status);
        }
        assertEquals(405, send(HttpRequest.newBuilder(uri("/v1/echo"))).statusCode());
        final HttpResponse<String> boom = send(HttpRequest.newBuilder(uri("/boom")));
        assertEquals(500, boom.statusCode());
        assertTrue(json(boom).get("error").asText().contains("kaput"));
    }

    @Test
    void aBearerTokenGuardsEveryRouteButGetMetrics() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                HttpService.environmentToken() == null, "the tests run without " + HttpService.TOKEN_ENV);
        try (HttpService guarded = HttpService.start("guarded", "127.0.0.1", 0, 2, 100)
                .route("GET", "/metrics", r -> HttpService.Response.text(200, "text/plain", "up 1\n"))
                .route(
                        "GET",
                        "/v1/streams/{id}/windows/latest",
                        r -> HttpService.Response.json(200, java.util.Map.of("stream", r.param("id"))))
                .route("POST", "/v1/echo", r -> HttpService.Response.json(200, r.json()))) {
            final String base = "http://127.0.0.1:" + guarded.port();
            final URI latest = URI.create(base + "/v1/streams/cam/windows/latest");
            assertEquals(200, send(HttpRequest.newBuilder(latest)).statusCode(), "open until a token is set");
            guarded.requireBearer("s3cret-token");

            final HttpResponse<String> none = send(HttpRequest.newBuilder(latest));
            assertEquals(401, none.statusCode());
            assertEquals(
                    "application/json",
                    none.headers().firstValue("content-type").orElseThrow());
            assertEquals("Bearer", none.headers().firstValue("www-authenticate").orElseThrow());
            assertTrue(json(none).get("error").asText().contains("Authorization: Bearer"), none.body());
            assertTrue(json(none).get("error").asText().contains(HttpService.TOKEN_ENV), none.body());
            for (final String wrong : new String[] {
                "Bearer s3cret-tokeN",
                "Bearer s3cret-token-longer",
                "Bearer ",
                "Basic czNjcmV0LXRva2Vu",
                "s3cret-token",
                "Bearer s3cret"
            }) {
                assertEquals(
                        401,
                        send(HttpRequest.newBuilder(latest).header("Authorization", wrong))
                                .statusCode(),
                        wrong);
            }
            final HttpResponse<String> ok =
                    send(HttpRequest.newBuilder(latest).header("Authorization", HttpService.bearer("s3cret-token")));
            assertEquals(200, ok.statusCode());
            assertEquals("cam", json(ok).get("stream").asText());
            assertEquals(
                    200,
                    send(HttpRequest.newBuilder(latest).header("Authorization", "bearer s3cret-token"))
                            .statusCode(),
                    "the scheme is case-insensitive");
            // POST routes, unknown paths and other methods on /metrics are guarded too (no route probing).
            assertEquals(
                    401,
                    send(HttpRequest.newBuilder(URI.create(base + "/v1/echo"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{}")))
                            .statusCode());
            assertEquals(
                    200,
                    send(HttpRequest.newBuilder(URI.create(base + "/v1/echo"))
                                    .header("Authorization", "Bearer s3cret-token")
                                    .POST(HttpRequest.BodyPublishers.ofString("{}")))
                            .statusCode());
            assertEquals(
                    401,
                    send(HttpRequest.newBuilder(URI.create(base + "/nope"))).statusCode());
            assertEquals(
                    401,
                    send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                    .POST(HttpRequest.BodyPublishers.ofString("")))
                            .statusCode());
            // Prometheus scrapes and probes need no token.
            final HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create(base + "/metrics")));
            assertEquals(200, metrics.statusCode());
            assertEquals("up 1\n", metrics.body());

            guarded.requireBearer(null);
            assertEquals(200, send(HttpRequest.newBuilder(latest)).statusCode(), "null removes the requirement");
        }
    }

    @Test
    void bindsTheAddressItIsGiven() throws Exception {
        try (HttpService local = HttpService.start("local", "127.0.0.1", 0, 1, 100)
                .route("GET", "/metrics", r -> HttpService.Response.text(200, "text/plain", ""))) {
            final java.net.InetAddress other =
                    java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                            .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                            .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress())
                            .findFirst()
                            .orElse(null);
            org.junit.jupiter.api.Assumptions.assumeTrue(other != null, "no non-loopback IPv4 address here");
            try (java.net.Socket s = new java.net.Socket()) {
                org.junit.jupiter.api.Assertions.assertThrows(
                        java.io.IOException.class,
                        () -> s.connect(new java.net.InetSocketAddress(other, local.port()), 2000),
                        "a server bound to 127.0.0.1 is not reachable on " + other);
            }
        }
    }

    /** Limits with short timeouts, so that the tests of them are quick. */
    private static HttpLimits quick(final int threads, final int queue) {
        return new HttpLimits(threads, queue, 64, 10_000, 500, 500, 100);
    }

    /** Reads until the server closes the connection (or 5 s pass: then the test fails on the assertion). */
    private static String readToClose(final Socket socket) throws Exception {
        socket.setSoTimeout(5000);
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aGarbageRequestLineIs400AtOnceAndTheConnectionCloses() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", service.port())) {
            final long t0 = System.nanoTime();
            // A TLS ClientHello is what a misconfigured client most often sends to a plain HTTP port.
            socket.getOutputStream()
                    .write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, '\r', '\n', '\r', '\n'});
            final String answer = readToClose(socket);
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertTrue(answer.contains("application/json") && answer.contains("{\"error\":"), answer);
            assertTrue(ms < 1000, "answered and closed in " + ms + " ms");
        }
    }

    @Test
    void slowHeadersAreDroppedAfterTheHeaderTimeout() throws Exception {
        try (HttpService quick = HttpService.start("quick", "127.0.0.1", 0, quick(1, 4))
                        .route("GET", "/x", r -> HttpService.Response.json(200, java.util.Map.of()));
                Socket socket = new Socket("127.0.0.1", quick.port())) {
            final long t0 = System.nanoTime();
            final OutputStream out = socket.getOutputStream();
            out.write("GET /x HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(100);
            final InputStream in = socket.getInputStream();
            int read = 0;
            for (int i = 0; i < 50 && read >= 0; i++) {
                try {
                    out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
                    read = in.read();
                } catch (final java.net.SocketTimeoutException stillOpen) {
                    read = 0;
                } catch (final java.io.IOException closed) {
                    read = -1;
                }
            }
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(-1, read, "the connection is closed");
            assertTrue(ms >= 450 && ms < 2500, "dropped after " + ms + " ms (header timeout 500 ms)");
            assertEquals(
                    200,
                    send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + quick.port() + "/x")))
                            .statusCode(),
                    "a normal request is answered");
        }
    }

    @Test
    void aSlowBodyIs408AfterTheReadTimeoutWithoutAHandlerThread() throws Exception {
        final CountDownLatch handled = new CountDownLatch(1);
        try (HttpService quick = HttpService.start("quick", "127.0.0.1", 0, quick(1, 0))
                        .route("POST", "/x", r -> {
                            handled.countDown();
                            return HttpService.Response.json(200, java.util.Map.of());
                        })
                        .route("GET", "/y", r -> HttpService.Response.json(200, java.util.Map.of()));
                Socket socket = new Socket("127.0.0.1", quick.port())) {
            final long t0 = System.nanoTime();
            socket.getOutputStream()
                    .write(("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
                            .getBytes(StandardCharsets.US_ASCII));
            // The only handler thread is free while the body dribbles in.
            assertEquals(
                    200,
                    send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + quick.port() + "/y")))
                            .statusCode());
            final String answer = readToClose(socket);
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("did not arrive within 500 ms"), answer);
            assertTrue(ms >= 450 && ms < 2500, "answered after " + ms + " ms (read timeout 500 ms)");
            assertEquals(1, handled.getCount(), "the handler never ran");
        }
    }

    @Test
    void aFullQueueIs503WithRetryAfter() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch running = new CountDownLatch(1);
        try (HttpService busy = HttpService.start("busy", "127.0.0.1", 0, quick(1, 0))
                .route("GET", "/slow", r -> {
                    running.countDown();
                    release.await(10, TimeUnit.SECONDS);
                    return HttpService.Response.json(200, java.util.Map.of());
                })) {
            final URI slow = URI.create("http://127.0.0.1:" + busy.port() + "/slow");
            final var first =
                    CLIENT.sendAsync(HttpRequest.newBuilder(slow).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(running.await(5, TimeUnit.SECONDS));
            final HttpResponse<String> second = send(HttpRequest.newBuilder(slow));
            assertEquals(503, second.statusCode(), second.body());
            assertEquals("1", second.headers().firstValue("Retry-After").orElse(null));
            assertTrue(json(second).get("error").asText().contains("busy"), second.body());
            release.countDown();
            assertEquals(200, first.get(5, TimeUnit.SECONDS).statusCode());
        }
    }
}
