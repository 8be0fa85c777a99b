package dev.scissor.metrics;

import dev.scissor.http.HttpService;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A registry of an app's metrics, exposed in the Prometheus text format (version 0.0.4) on
 * {@code GET /metrics}. Counters are lock-free; gauges are read when scraped. Metric names follow
 * Prometheus conventions ({@code scissor_frames_total}, {@code scissor_window_latency_seconds}).
 */
public final class Metrics {

    /** Prometheus' text exposition content type. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** One sample of a gauge family: its labels and value. */
    public record Sample(Map<String, String> labels, double value) {
    }

    private record Family(String name, String type, String help, Supplier<List<Sample>> samples) {
    }

    private final List<Family> families = new ArrayList<>();

    /** A monotonically increasing counter. */
    public static final class Counter {
        private final DoubleAdder value = new DoubleAdder();

        /** Adds one. */
        public void inc() {
            value.add(1);
        }

        /**
         * Adds an amount.
         *
         * @param amount a non-negative amount
         */
        public void add(final double amount) {
            if (amount < 0) {
                throw new IllegalArgumentException("a counter only increases, got " + amount);
            }
            value.add(amount);
        }

        /** The current value. */
        public double value() {
            return value.sum();
        }
    }

    /**
     * Registers a counter without labels.
     *
     * @param name the name, ending in {@code _total}
     * @param help what it counts
     * @return the counter
     */
    public synchronized Counter counter(final String name, final String help) {
        final Counter c = new Counter();
        register(name, "counter", help, () -> List.of(new Sample(Map.of(), c.value())));
        return c;
    }

    /**
     * Registers a gauge without labels, read when scraped.
     *
     * @param name the name
     * @param help what it measures
     * @param value reads the value
     * @return this registry
     */
    public Metrics gauge(final String name, final String help, final java.util.function.DoubleSupplier value) {
        return register(name, "gauge", help, () -> List.of(new Sample(Map.of(), value.getAsDouble())));
    }

    /**
     * Registers a family of samples read when scraped (labelled gauges or counters maintained
     * elsewhere, such as per-stream figures or Kafka client metrics).
     *
     * @param name the name
     * @param type {@code gauge} or {@code counter}
     * @param help what it measures
     * @param samples reads the samples
     * @return this registry
     */
    public synchronized Metrics register(final String name, final String type, final String help,
                                         final Supplier<List<Sample>> samples) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a Prometheus metric name: " + name);
        }
        if (!type.equals("gauge") && !type.equals("counter")) {
            throw new IllegalArgumentException("type must be gauge or counter, got " + type);
        }
        for (final Family f : families) {
            if (f.name().equals(name)) {
                throw new IllegalArgumentException("metric " + name + " is already registered");
            }
        }
        families.add(new Family(name, type, help, samples));
        return this;
    }

    /** The registry in the Prometheus text format. */
    public synchronized String scrape() {
        final StringBuilder out = new StringBuilder(1024);
        for (final Family f : families) {
            out.append("# HELP ").append(f.name()).append(' ').append(f.help().replace("\\", "\\\\").replace("\n", "\\n"))
                    .append('\n');
            out.append("# TYPE ").append(f.name()).append(' ').append(f.type()).append('\n');
            for (final Sample s : f.samples().get()) {
                out.append(f.name());
                if (!s.labels().isEmpty()) {
                    out.append('{');
                    boolean first = true;
                    for (final Map.Entry<String, String> l : new TreeMap<>(s.labels()).entrySet()) {
                        out.append(first ? "" : ",").append(l.getKey()).append("=\"")
                                .append(l.getValue().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                                .append('"');
                        first = false;
                    }
                    out.append('}');
                }
                out.append(' ').append(format(s.value())).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Serves {@code GET /metrics} from this registry.
     *
     * @param http the server
     * @return this registry
     */
    public Metrics expose(final HttpService http) {
        http.route("GET", "/metrics", r -> HttpService.Response.text(200, CONTENT_TYPE, scrape()));
        return this;
    }

    private static String format(final double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
