package dev.scissor.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpServiceTest {

    private static HttpService service;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        service = HttpService.start("test", "127.0.0.1", 0, 2, 100)
                .route("GET", "/v1/streams/{id}/windows/latest", r -> HttpService.Response.json(200,
                        java.util.Map.of("stream", r.param("id"), "q", r.query().getOrDefault("x", ""))))
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
    void echoesJsonAndRejectsBadBodies() throws Exception {
        final HttpResponse<String> ok = send(HttpRequest.newBuilder(uri("/v1/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")));
        assertEquals(1, json(ok).get("a").asInt());
        final HttpResponse<String> bad = send(HttpRequest.newBuilder(uri("/v1/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("[1]")));
        assertEquals(400, bad.statusCode());
        assertTrue(json(bad).get("error").asText().contains("JSON object"));
        final HttpResponse<String> big = send(HttpRequest.newBuilder(uri("/v1/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\":\"" + "x".repeat(200) + "\"}")));
        assertEquals(413, big.statusCode());
    }

    @Test
    void answersUnknownPathsMethodsAndFailures() throws Exception {
        assertEquals(404, send(HttpRequest.newBuilder(uri("/nope"))).statusCode());
        assertEquals(405, send(HttpRequest.newBuilder(uri("/v1/echo"))).statusCode());
        final HttpResponse<String> boom = send(HttpRequest.newBuilder(uri("/boom")));
        assertEquals(500, boom.statusCode());
        assertTrue(json(boom).get("error").asText().contains("kaput"));
    }
}
