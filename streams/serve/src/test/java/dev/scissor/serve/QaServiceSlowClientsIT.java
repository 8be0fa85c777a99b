package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.consumer.MockWindowsConsumer;
import dev.scissor.consumer.WindowTestAccess;
import dev.scissor.http.HttpLimits;
import dev.scissor.schemas.ScissorSerdes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The QA service with its default limits under {@value SlowClients#SLOW} slow-header and {@value
 * SlowClients#SLOW} slow-body clients ({@link SlowClients#withstand}): a normal request is answered
 * within a second throughout, and everything is released afterwards.
 */
class QaServiceSlowClientsIT {

    @Test
    void answersThroughFiftySlowHeaderAndFiftySlowBodyClients() throws Exception {
        final MockWindowsConsumer windows = new MockWindowsConsumer("windows", 1);
        windows.append(
                0,
                "cam",
                ScissorSerdes.compressedWindow()
                        .serializer()
                        .serialize(
                                "windows",
                                WindowTestAccess.record("cam", 0, 3, 8).build()),
                System.currentTimeMillis());
        final Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put(ServeConfig.PORT, 0);
        cfg.put(ServeConfig.BIND, "127.0.0.1");
        cfg.put(ServeConfig.COMPRESSOR_URLS, "http://127.0.0.1:9");
        try (QaService qa = new QaService(new ServeConfig(cfg), null, null)) {
            qa.start(onMalformed ->
                    WindowTestAccess.assignAll(WindowTestAccess.consumer(windows, "windows", onMalformed), null));
            assertTrue(qa.awaitWindows("cam", 1, Duration.ofSeconds(10)));
            assertEquals(HttpLimits.DEFAULT_THREADS, qa.http().limits().threads(), "the default limits");
            SlowClients.withstand("qa", qa.http(), "/v1/streams", 200, "POST /v1/ask");
        }
    }
}
