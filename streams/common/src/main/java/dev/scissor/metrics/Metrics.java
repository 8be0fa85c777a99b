package dev.scissor.metrics;

import dev.scissor.http.HttpService;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A registry of an app's metrics, exposed in the Prometheus text format (version 0.0.4) on
 * {@code GET /metrics}. Counters are lock-free; gauges are read when scraped. Metric names follow
 * Prometheus conventions ({@code scissor_frames_total}, {@code scissor_window_latency_seconds}).
 * Histograms ({@link #histogram}) are written as cumulative {@code _bucket{le="..."}} samples ending
 * in {@code le="+Inf"}, then {@code _sum} and {@code _count}.
 */
public final class Metrics {

    /** Prometheus' text exposition content type. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** One sample of a gauge family: its labels and value. */
    public record Sample(Map<String, String> labels, double value) {
    }

    private record Family(String name, String type, String help, Supplier<List<Sample>> samples,
                          Histogram histogram) {
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
     * A histogram of observations (latencies in seconds, sizes) over fixed bucket upper bounds:
     * lock-free, no allocation per observation.
     */
    public static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] buckets;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(final double[] bounds) {
            if (bounds.length == 0) {
                throw new IllegalArgumentException("a histogram needs at least one bucket");
            }
            for (int i = 0; i < bounds.length; i++) {
                if (!Double.isFinite(bounds[i]) || i > 0 && bounds[i] <= bounds[i - 1]) {
                    throw new IllegalArgumentException("bucket bounds must be finite and increasing: "
                            + Arrays.toString(bounds));
                }
            }
            this.bounds = bounds.clone();
            this.buckets = new LongAdder[bounds.length + 1];
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        /**
         * Records one observation; it counts in every bucket whose bound is at least the value.
         *
         * @param value the observation (NaN is ignored)
         */
        public void observe(final double value) {
            if (Double.isNaN(value)) {
                return;
            }
            int i = 0;
            while (i < bounds.length && value > bounds[i]) {
                i++;
            }
            buckets[i].increment();
            sum.add(value);
            count.increment();
        }

        /** Observations so far. */
        public long count() {
            return count.sum();
        }

        /** Sum of the observations. */
        public double sum() {
            return sum.sum();
        }

        /** The bucket upper bounds (without {@code +Inf}). */
        public double[] bounds() {
            return bounds.clone();
        }

        /**
         * Cumulative counts, one per bound and a last one for {@code +Inf}.
         *
         * @return a new array
         */
        public long[] cumulativeCounts() {
            final long[] out = new long[buckets.length];
            long total = 0;
            for (int i = 0; i < buckets.length; i++) {
                total += buckets[i].sum();
                out[i] = total;
            }
            return out;
        }
    }

    /**
     * Bucket bounds {@code start, start*factor, ...}: {@code count} of them.
     *
     * @param start the first bound, positive
     * @param factor the ratio between bounds, above 1
     * @param count how many
     * @return the bounds
     */
    public static double[] exponentialBuckets(final double start, final double factor, final int count) {
        if (start <= 0 || factor <= 1 || count < 1) {
            throw new IllegalArgumentException("need start > 0, factor > 1, count >= 1");
        }
        final double[] b = new double[count];
        double v = start;
        for (int i = 0; i < count; i++) {
            b[i] = Double.parseDouble(String.format(Locale.ROOT, "%.6g", v));
            v *= factor;
        }
        return b;
    }

    /**
     * Registers a histogram without labels.
     *
     * @param name the name, with its unit ({@code scissor_window_latency_seconds}); the samples are
     *     {@code name_bucket}, {@code name_sum} and {@code name_count}
     * @param help what it measures
     * @param bounds the bucket upper bounds, increasing ({@code +Inf} is added)
     * @return the histogram
     */
    public synchronized Histogram histogram(final String name, final String help, final double... bounds) {
        final Histogram h = new Histogram(bounds);
        add(new Family(name, "histogram", help, null, h));
        return h;
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
        if (!type.equals("gauge") && !type.equals("counter")) {
            throw new IllegalArgumentException("type must be gauge or counter, got " + type);
        }
        add(new Family(name, type, help, samples, null));
        return this;
    }

    private void add(final Family family) {
        final String name = family.name();
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a Prometheus metric name: " + name);
        }
        for (final Family f : families) {
            if (f.name().equals(name)) {
                throw new IllegalArgumentException("metric " + name + " is already registered");
            }
        }
        families.add(family);
    }

    /** The registry in the Prometheus text format. */
    public synchronized String scrape() {
        final StringBuilder out = new StringBuilder(1024);
        for (final Family f : families) {
            out.append("# HELP ").append(f.name()).append(' ').append(f.help().replace("\\", "\\\\").replace("\n", "\\n"))
                    .append('\n');
            out.append("# TYPE ").append(f.name()).append(' ').append(f.type()).append('\n');
            if (f.histogram() != null) {
                writeHistogram(out, f.name(), f.histogram());
                continue;
            }
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

    private static void writeHistogram(final StringBuilder out, final String name, final Histogram h) {
        final double[] bounds = h.bounds;
        final long[] cumulative = h.cumulativeCounts();
        for (int i = 0; i < cumulative.length; i++) {
            out.append(name).append("_bucket{le=\"")
                    .append(i < bounds.length ? BigDecimal.valueOf(bounds[i]).stripTrailingZeros().toPlainString()
                            : "+Inf")
                    .append("\"} ").append(cumulative[i]).append('\n');
        }
        // _count equals the +Inf bucket, read once above, so a scrape is always consistent
        out.append(name).append("_sum ").append(format(h.sum())).append('\n');
        out.append(name).append("_count ").append(cumulative[cumulative.length - 1]).append('\n');
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
