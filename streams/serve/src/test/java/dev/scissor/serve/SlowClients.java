package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.http.HttpService;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slow clients on loopback, for the services' slow-client tests: connections that send their
 * headers one byte a second (reconnecting when dropped) and connections that declare a body of 1 MB
 * (or the server's largest) and send one byte of it a second. Before the move to Jetty six such
 * clients stalled the QA service and the compressor's query endpoint (0 of 6 probes answered in 30 s).
 */
public final class SlowClients {

    private SlowClients() {}

    /** Slow clients of each kind. */
    public static final int SLOW = 50;

    private static final Duration ATTACK = Duration.ofSeconds(10);

    /** The slow clients of one target, fed by one thread that writes a byte to each every second. */
    private static final class Attack implements AutoCloseable {
        private final int port;
        private final String headerRequest;
        private final String bodyRequest;
        private final List<Socket> headers = new ArrayList<>();
        private final List<Socket> bodies = new ArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger headerDrops = new AtomicInteger();
        private final AtomicInteger bodyDrops = new AtomicInteger();
        private final Thread feeder;

        Attack(final int port, final String headerRequest, final String bodyRequest) throws IOException {
            this.port = port;
            this.headerRequest = headerRequest;
            this.bodyRequest = bodyRequest;
            for (int i = 0; i < SLOW; i++) {
                headers.add(open(headerRequest));
                bodies.add(open(bodyRequest));
            }
            feeder = new Thread(this::feed, "slow-clients-" + port);
            feeder.setDaemon(true);
            feeder.start();
        }

        private Socket open(final String start) throws IOException {
            final Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return s;
        }

        private void feed() {
            while (running.get()) {
                for (int i = 0; i < SLOW && running.get(); i++) {
                    headers.set(i, dribble(headers.get(i), 'X', headerRequest, headerDrops));
                    bodies.set(i, dribble(bodies.get(i), ' ', bodyRequest, bodyDrops));
                }
                try {
                    Thread.sleep(1000);
                } catch (final InterruptedException e) {
                    return;
                }
            }
        }

        private Socket dribble(final Socket s, final char b, final String start, final AtomicInteger drops) {
            try {
                final OutputStream out = s.getOutputStream();
                out.write(b);
                out.flush();
                return s;
            } catch (final IOException dropped) {
                drops.incrementAndGet();
                close(s);
                try {
                    return open(start);
                } catch (final IOException e) {
                    return s;
                }
            }
        }

        private static void close(final Socket s) {
            try {
                s.close();
            } catch (final IOException e) {
                // closing anyway
            }
        }

        @Override
        public void close() {
            running.set(false);
            feeder.interrupt();
            try {
                feeder.join(5000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            headers.forEach(Attack::close);
            bodies.forEach(Attack::close);
        }
    }

    /**
     * A normal request on a new connection.
     *
     * @param port the server's port
     * @param path the path to GET
     * @return its status and how long the answer took, in ms
     * @throws IOException when the connection fails
     */
    public static double[] probe(final int port, final String path) throws IOException {
        final long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            final String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            final int status = answer.startsWith("HTTP/1.1 ") ? Integer.parseInt(answer.substring(9, 12)) : -1;
            return new double[] {status, (System.nanoTime() - t0) / 1e6};
        }
    }

    /**
     * Attacks a server with {@value #SLOW} slow-header and {@value #SLOW} slow-body clients for 10 s,
     * probes it meanwhile with normal requests on new connections, asserts that each is answered
     * within a second, and that every connection and handler is released once the clients leave.
     *
     * @param name the server, for messages
     * @param http the server
     * @param probePath a path a normal GET is answered on
     * @param probeStatus the status it is answered with
     * @param bodyPath the method and path the slow-body clients send their body to
     * @throws Exception when a probe fails
     */
    public static void withstand(
            final String name,
            final HttpService http,
            final String probePath,
            final int probeStatus,
            final String bodyPath)
            throws Exception {
        final List<Double> latencies = new ArrayList<>();
        final int headerDrops;
        final int bodyDrops;
        try (Attack attack = new Attack(
                http.port(),
                "GET " + probePath + " HTTP/1.1\r\nHost: slow\r\n",
                bodyPath + " HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n" + "Content-Length: "
                        + Math.min(1_000_000, http.limits().maxBodyBytes()) + "\r\n\r\n{")) {
            final long accepted = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (http.openConnections() < 2 * SLOW - 5 && System.nanoTime() < accepted) {
                Thread.sleep(50);
            }
            assertTrue(
                    http.openConnections() >= 2 * SLOW - 5,
                    name + ": the slow clients are connected (" + http.openConnections() + ")");
            final long end = System.nanoTime() + ATTACK.toNanos();
            while (System.nanoTime() < end) {
                final double[] p = probe(http.port(), probePath);
                assertEquals(probeStatus, (int) p[0], name + " answers a normal request during the attack");
                latencies.add(p[1]);
                Thread.sleep(100);
            }
            headerDrops = attack.headerDrops.get();
            bodyDrops = attack.bodyDrops.get();
        }
        final double[] sorted =
                latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        final double p50 = sorted[sorted.length / 2];
        final double max = sorted[sorted.length - 1];
        System.out.printf(
                "SlowClientsIT %s: %d slow-header + %d slow-body clients for %d s: %d probes, latency "
                        + "p50 %.1f ms, p99 %.1f ms, max %.1f ms; slow-header clients dropped %d times (header "
                        + "timeout %d ms), slow-body clients dropped %d times (read timeout %d ms)%n",
                name,
                SLOW,
                SLOW,
                ATTACK.toSeconds(),
                sorted.length,
                p50,
                sorted[(int) (sorted.length * 0.99)],
                max,
                headerDrops,
                http.limits().headerTimeoutMs(),
                bodyDrops,
                http.limits().readTimeoutMs());
        assertTrue(
                max < 1000,
                name + ": every probe answered within 1 s, the slowest in " + max + " ms: " + Arrays.toString(sorted));
        assertTrue(headerDrops >= SLOW, name + ": the slow-header clients were dropped at the header timeout");
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while ((http.openConnections() > 0 || http.busyHandlers() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, http.openConnections(), name + ": every connection is released");
        assertEquals(0, http.busyHandlers(), name + ": no handler is busy");
        assertEquals(probeStatus, (int) probe(http.port(), probePath)[0], name + " answers afterwards");
    }
}
