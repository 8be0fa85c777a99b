package dev.scissor.http;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops a connection that has sent part of a request's line and headers but not all of them
 * within {@link HttpLimits#headerTimeoutMs()} of opening or of its previous answer; one that has
 * sent nothing is left to the idle timeout.
 */
final class Watch {
    private static final Logger LOG = LoggerFactory.getLogger(HttpService.class);

    private final Connection connection;
    private final Scheduler scheduler;
    private final long headerTimeoutMs;
    private final Map<Connection, Watch> watches;
    private volatile long requests;

    Watch(
            final Connection connection,
            final Scheduler scheduler,
            final long headerTimeoutMs,
            final Map<Connection, Watch> watches) {
        this.connection = connection;
        this.scheduler = scheduler;
        this.headerTimeoutMs = headerTimeoutMs;
        this.watches = watches;
    }

    void awaitHeaders() {
        final long seen = requests;
        final long bytes = connection.getBytesIn();
        scheduler.schedule(
                () -> {
                    if (requests == seen && connection.getBytesIn() > bytes && watches.get(connection) == this) {
                        LOG.debug("closing {}: no complete request headers within {} ms", connection, headerTimeoutMs);
                        connection.getEndPoint().close();
                    }
                },
                headerTimeoutMs,
                TimeUnit.MILLISECONDS);
    }

    void requestArrived() {
        requests++;
    }
}
