package dev.scissor.cli;

import dev.scissor.http.HttpService;
import java.io.IOException;
import java.io.PrintStream;

/** Starts the {@code /metrics} endpoint of a command, with an error message that names the setting. */
final class MetricsEndpoint {

    private MetricsEndpoint() {}

    /**
     * Starts an HTTP server for metrics.
     *
     * @param name the app, for threads and logs
     * @param bind the address to bind ({@code 127.0.0.1} by default; {@code 0.0.0.0} for all interfaces)
     * @param port the port; 0 = any free port, -1 = none
     * @param key the setting of the port, for the error message
     * @param bindKey the setting of the address, for the error message
     * @param out where the bound address is reported
     * @return the server, or {@code null} when the port is -1
     * @throws IOException when the address or port cannot be bound
     */
    static HttpService start(
            final String name,
            final String bind,
            final int port,
            final String key,
            final String bindKey,
            final PrintStream out)
            throws IOException {
        if (port < 0) {
            return null;
        }
        try {
            final HttpService http = HttpService.start(name, bind, port, 2, 1 << 10);
            out.printf("scissor %s: metrics on http://%s:%d/metrics%n", name, bind, http.port());
            return http;
        } catch (final IOException e) {
            throw new IOException(
                    "cannot serve metrics on " + bind + ":" + port + " (" + e.getMessage() + "); set "
                            + key + " (--metrics-port) to a free port, or -1 for none, or " + bindKey
                            + " to an address of this machine",
                    e);
        }
    }
}
