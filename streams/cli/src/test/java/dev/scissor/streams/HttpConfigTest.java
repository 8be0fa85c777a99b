package dev.scissor.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.http.HttpLimits;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.serve.ServeConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The HTTP and metrics settings of the three apps: defaults, validation, application.server. */
class HttpConfigTest {

    private static CompressorConfig compressor(final Object... kv) {
        final Map<String, Object> m = new HashMap<>();
        m.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return new CompressorConfig(m);
    }

    @Test
    void compressorDefaultsToPort8081AndAdvertisesItAsApplicationServer() {
        final CompressorConfig c = compressor(CompressorConfig.HTTP_ADVERTISED_HOST, "compressor-0.svc");
        assertEquals(8081, c.httpPort());
        assertEquals("compressor-0.svc:8081", c.streamsProperties().get(StreamsConfig.APPLICATION_SERVER_CONFIG));
        assertEquals("compressor-0.svc:4242", c.applicationServer(4242));
        assertFalse(c.streamsProperties().containsKey(CompressorConfig.HTTP_PORT), "scissor.* keys stay ours");
    }

    @Test
    void emptyAdvertisedHostIsTheBindAddressOrWhenBoundToAllTheLocalHostName() {
        final CompressorConfig c = compressor();
        assertEquals("", c.getString(CompressorConfig.HTTP_ADVERTISED_HOST));
        assertEquals("127.0.0.1", c.httpBind(), "localhost only by default");
        assertEquals("127.0.0.1:8081", c.streamsProperties().get(StreamsConfig.APPLICATION_SERVER_CONFIG));
        final CompressorConfig all = compressor(CompressorConfig.HTTP_BIND, "0.0.0.0");
        assertFalse(all.advertisedHost().isBlank());
        assertFalse(all.advertisedHost().equals("0.0.0.0"));
        assertTrue(all.streamsProperties()
                .get(StreamsConfig.APPLICATION_SERVER_CONFIG)
                .toString()
                .endsWith(":8081"));
        assertEquals(
                "10.1.2.3", compressor(CompressorConfig.HTTP_BIND, "10.1.2.3").advertisedHost());
    }

    @Test
    void portMinusOneOrZeroLeavesApplicationServerToTheApp() {
        assertNull(compressor(CompressorConfig.HTTP_PORT, "-1")
                .streamsProperties()
                .get(StreamsConfig.APPLICATION_SERVER_CONFIG));
        assertNull(compressor(CompressorConfig.HTTP_PORT, 0)
                .streamsProperties()
                .get(StreamsConfig.APPLICATION_SERVER_CONFIG));
    }

    @Test
    void anExplicitApplicationServerWins() {
        final CompressorConfig c = compressor(
                StreamsConfig.APPLICATION_SERVER_CONFIG,
                "lb.example:80",
                CompressorConfig.HTTP_ADVERTISED_HOST,
                "ignored");
        assertEquals("lb.example:80", c.streamsProperties().get(StreamsConfig.APPLICATION_SERVER_CONFIG));
        assertEquals("lb.example:80", c.applicationServer(1234));
    }

    @Test
    void badPortsAndHostsFailNamingTheKey() {
        for (final Object bad : new Object[] {-2, 65536, "http"}) {
            final ConfigException e =
                    assertThrows(ConfigException.class, () -> compressor(CompressorConfig.HTTP_PORT, bad));
            assertTrue(e.getMessage().contains(CompressorConfig.HTTP_PORT), e.getMessage());
        }
        for (final String bad : new String[] {"http://host", "a host"}) {
            final ConfigException e =
                    assertThrows(ConfigException.class, () -> compressor(CompressorConfig.HTTP_ADVERTISED_HOST, bad));
            assertTrue(e.getMessage().contains(CompressorConfig.HTTP_ADVERTISED_HOST), e.getMessage());
        }
    }

    @Test
    void captureAndEncoderMetricsPorts() {
        final Map<String, Object> base = Map.of("bootstrap.servers", "localhost:9092");
        assertEquals(9401, new CaptureConfig(base).metricsPort());
        assertEquals(9402, new EncoderConfig(base).metricsPort());
        final Map<String, Object> off = new HashMap<>(base);
        off.put(CaptureConfig.METRICS_PORT, "-1");
        off.put(EncoderConfig.METRICS_PORT, "0");
        assertEquals(-1, new CaptureConfig(off).metricsPort());
        assertEquals(0, new EncoderConfig(off).metricsPort());
        assertThrows(ConfigException.class, () -> new CaptureConfig(Map.of(CaptureConfig.METRICS_PORT, -5)));
        assertThrows(ConfigException.class, () -> new EncoderConfig(Map.of(EncoderConfig.METRICS_PORT, 70000)));
        assertFalse(new CaptureConfig(off).producerProperties().containsKey(CaptureConfig.METRICS_PORT));
        assertFalse(new EncoderConfig(off).consumerProperties().containsKey(EncoderConfig.METRICS_PORT));
    }

    @Test
    void describeConfigListsTheNewKeys() {
        assertTrue(CompressorConfig.describe().contains(CompressorConfig.HTTP_PORT));
        assertTrue(CompressorConfig.describe().contains(CompressorConfig.HTTP_ADVERTISED_HOST));
        assertTrue(CaptureConfig.describe().contains(CaptureConfig.METRICS_PORT));
        assertTrue(EncoderConfig.describe().contains(EncoderConfig.METRICS_PORT));
    }

    @Test
    void httpLimitsHaveSafeDefaultsAndFailNamingTheKey() {
        assertEquals(
                new HttpLimits(4, 64, 256, 30_000, 5_000, 30_000, 64 << 10),
                compressor().httpLimits());
        final CompressorConfig tuned = compressor(
                CompressorConfig.HTTP_PREFIX + HttpLimits.MAX_CONNECTIONS,
                "100",
                "scissor.http.idle.timeout.ms",
                2000,
                "scissor.http.header.timeout.ms",
                "1500",
                "scissor.http.read.timeout.ms",
                9000,
                "scissor.http.threads",
                8,
                "scissor.http.queue",
                0);
        assertEquals(new HttpLimits(8, 0, 100, 2000, 1500, 9000, 64 << 10), tuned.httpLimits());
        assertFalse(tuned.streamsProperties().containsKey("scissor.http.max.connections"), "scissor.* keys stay ours");
        final Object[][] bad = {
            {"scissor.http.threads", 0},
            {"scissor.http.queue", -1},
            {"scissor.http.max.connections", 0},
            {"scissor.http.idle.timeout.ms", 0},
            {"scissor.http.header.timeout.ms", "soon"},
            {"scissor.http.read.timeout.ms", -5}
        };
        for (final Object[] kv : bad) {
            final ConfigException e = assertThrows(ConfigException.class, () -> compressor(kv));
            assertTrue(e.getMessage().contains((String) kv[0]), e.getMessage());
        }

        final Map<String, Object> serve = new HashMap<>(Map.of("bootstrap.servers", "localhost:9092"));
        assertEquals(new HttpLimits(4, 64, 256, 30_000, 5_000, 30_000, 16L << 20), new ServeConfig(serve).httpLimits());
        serve.put(ServeConfig.HTTP_PREFIX + HttpLimits.MAX_CONNECTIONS, 32);
        serve.put(ServeConfig.MAX_BODY_BYTES, 1 << 20);
        assertEquals(32, new ServeConfig(serve).httpLimits().maxConnections());
        assertEquals(1 << 20, new ServeConfig(serve).httpLimits().maxBodyBytes());
        serve.put("scissor.serve.http.read.timeout.ms", 0);
        final ConfigException e = assertThrows(ConfigException.class, () -> new ServeConfig(serve));
        assertTrue(e.getMessage().contains("scissor.serve.http.read.timeout.ms"), e.getMessage());
        for (final String key : new String[] {
            "scissor.http.max.connections",
            "scissor.http.idle.timeout.ms",
            "scissor.http.header.timeout.ms",
            "scissor.http.read.timeout.ms",
            "scissor.http.threads",
            "scissor.http.queue"
        }) {
            assertTrue(CompressorConfig.describe().contains(key), key);
            assertTrue(ServeConfig.describe().contains(key.replace("scissor.", "scissor.serve.")), key);
        }
    }

    @Test
    void serveInputLimitsHaveDefaultsAndRanges() {
        final ServeConfig c = new ServeConfig(Map.of("bootstrap.servers", "localhost:9092"));
        assertEquals(256, c.askMaxWindows());
        assertEquals(256L << 20, c.askMaxRequestBytes());
        assertEquals(4096L * 4096, c.findMaxPixels());
        for (final Object[] kv : new Object[][] {
            {ServeConfig.ASK_MAX_WINDOWS, 0},
            {ServeConfig.ASK_MAX_REQUEST_BYTES, 100},
            {ServeConfig.FIND_MAX_PIXELS, 16384L * 16384 + 1}
        }) {
            final ConfigException e = assertThrows(
                    ConfigException.class,
                    () -> new ServeConfig(Map.of("bootstrap.servers", "localhost:9092", kv[0], kv[1])));
            assertTrue(e.getMessage().contains((String) kv[0]), e.getMessage());
        }
    }
}
