package dev.scissor.metrics;

import dev.scissor.http.HttpService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * The metrics of one app: a Micrometer {@link PrometheusMeterRegistry} with the app's own meters and
 * Kafka's client, Streams and RocksDB metrics ({@link #bindKafka}), served in the Prometheus text
 * format (version 0.0.4) on {@code GET /metrics}.
 *
 * <p>Meters are named by the Prometheus name they export, which Micrometer keeps as it is when it
 * already ends in the suffix of the meter's type: {@code scissor_capture_frames_failed_total} for a
 * counter, {@code scissor_compressor_window_compute_seconds} for a timer, whose service level
 * objectives become its {@code _bucket{le="..."}} samples beside {@code _sum}, {@code _count} (and
 * Micrometer's {@code _max}). Kafka's metrics are named {@code kafka_<group>_<name>} with the
 * client's tags ({@code kafka_consumer_fetch_manager_records_lag{client_id,partition,topic}}).
 *
 * <p>The app that creates a registry owns it: {@link #close()} closes the Kafka bindings still open
 * and the registry. Each binding reads its client from a thread of its own, which {@link
 * KafkaBinding#close()} stops; close a binding when its client closes.
 */
public final class Metrics implements AutoCloseable {

    /** Prometheus' text exposition content type. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * How often a Kafka binding looks for metrics its client added or dropped (partitions assigned,
     * state stores opened): they show up on {@code /metrics} within this time.
     */
    public static final Duration KAFKA_REFRESH = Duration.ofSeconds(10);

    /**
     * Creates one of Micrometer's Kafka binders ({@code KafkaClientMetrics}, {@code
     * KafkaStreamsMetrics}) over a client, with the scheduler and refresh interval it is given.
     *
     * @param <B> the binder
     */
    @FunctionalInterface
    public interface KafkaBinder<B extends MeterBinder & AutoCloseable> {
        /**
         * Creates the binder.
         *
         * @param tags extra tags of every meter
         * @param scheduler runs the binder's refresh; owned by the binding
         * @param refresh the refresh interval
         * @return the binder, not bound yet
         */
        B create(Iterable<Tag> tags, ScheduledExecutorService scheduler, Duration refresh);
    }

    /** Kafka metrics bound to this registry; {@link #close()} stops reading the client and removes its meters. */
    public final class KafkaBinding implements AutoCloseable {
        private final ScheduledExecutorService scheduler;
        private final AutoCloseable binder;

        private KafkaBinding(final ScheduledExecutorService scheduler, final AutoCloseable binder) {
            this.scheduler = scheduler;
            this.binder = binder;
        }

        /** Stops the refresh and removes the client's meters. Idempotent. */
        @Override
        public void close() {
            if (!bindings.remove(this)) {
                return;
            }
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                binder.close();
            } catch (final Exception e) {
                throw new IllegalStateException("cannot close the Kafka metrics binder", e);
            }
        }
    }

    /** Gauges of one name whose label sets are read when scraped. */
    private record Labelled(
            String name,
            String help,
            Supplier<Map<Tags, ? extends Number>> rows,
            Map<Tags, Gauge> gauges,
            Map<Tags, Double> values) {}

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Labelled> labelled = new CopyOnWriteArrayList<>();
    private final Set<KafkaBinding> bindings = ConcurrentHashMap.newKeySet();
    private final List<Held> held = new CopyOnWriteArrayList<>();

    /** The Micrometer registry, for timers, counters and other meters of the app. */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Registers a counter read from elsewhere (a {@code LongAdder}, a stage's figure) when scraped.
     *
     * @param name the exported name, ending in {@code _total}
     * @param help what it counts
     * @param value reads the count; this registry holds it
     * @param tags label names and values, alternating
     * @return the counter
     */
    public FunctionCounter counter(
            final String name, final String help, final DoubleSupplier value, final String... tags) {
        requireSuffix(name, "_total");
        final Held h = new Held(value);
        held.add(h);
        return FunctionCounter.builder(name, h, Held::read)
                .description(help)
                .tags(tags)
                .register(registry);
    }

    /**
     * Registers a gauge read when scraped.
     *
     * @param name the exported name
     * @param help what it measures
     * @param value reads the value; this registry holds it
     * @param tags label names and values, alternating
     * @return the gauge
     */
    public Gauge gauge(final String name, final String help, final DoubleSupplier value, final String... tags) {
        return Gauge.builder(name, new Held(value), Held::read)
                .strongReference(true)
                .description(help)
                .tags(tags)
                .register(registry);
    }

    /**
     * Registers gauges of one name whose label sets are only known when scraped (a consumer's
     * partitions, the streams of an index): each scrape reads the rows, adds a gauge per new label
     * set and drops those no longer read.
     *
     * @param name the exported name
     * @param help what it measures
     * @param rows reads the value of each label set
     * @return this registry
     */
    public Metrics gauges(final String name, final String help, final Supplier<Map<Tags, ? extends Number>> rows) {
        labelled.add(new Labelled(name, help, rows, new HashMap<>(), new ConcurrentHashMap<>()));
        return this;
    }

    /**
     * Binds a producer's metrics ({@code kafka_producer_*}).
     *
     * @param producer the producer; close the binding with it
     * @return the binding
     */
    public KafkaBinding bindKafka(final Producer<?, ?> producer) {
        return bindKafka((tags, scheduler, refresh) -> new KafkaClientMetrics(producer, tags, scheduler, refresh));
    }

    /**
     * Binds a consumer's metrics ({@code kafka_consumer_*}).
     *
     * @param consumer the consumer; close the binding with it
     * @return the binding
     */
    public KafkaBinding bindKafka(final Consumer<?, ?> consumer) {
        return bindKafka((tags, scheduler, refresh) -> new KafkaClientMetrics(consumer, tags, scheduler, refresh));
    }

    /**
     * Binds a Kafka binder ({@code KafkaStreamsMetrics} for a Kafka Streams client), refreshed every
     * {@link #KAFKA_REFRESH}.
     *
     * @param binder creates the binder
     * @param <B> the binder
     * @return the binding, closed by {@link #close()} if not before
     */
    public <B extends MeterBinder & AutoCloseable> KafkaBinding bindKafka(final KafkaBinder<B> binder) {
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "scissor-kafka-metrics");
            t.setDaemon(true);
            return t;
        });
        final B b;
        try {
            b = binder.create(Tags.empty(), scheduler, KAFKA_REFRESH);
            b.bindTo(registry);
        } catch (final RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
        final KafkaBinding binding = new KafkaBinding(scheduler, b);
        bindings.add(binding);
        return binding;
    }

    /** The registry in the Prometheus text format. */
    public synchronized String scrape() {
        for (final Labelled l : labelled) {
            refresh(l);
        }
        return registry.scrape();
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

    /** Closes the Kafka bindings still open, then the registry. Idempotent. */
    @Override
    public void close() {
        for (final KafkaBinding b : List.copyOf(bindings)) {
            b.close();
        }
        registry.close();
    }

    private void refresh(final Labelled l) {
        final Map<Tags, ? extends Number> rows = l.rows().get();
        l.values().keySet().retainAll(rows.keySet());
        rows.forEach((tags, v) -> l.values().put(tags, v.doubleValue()));
        l.gauges().entrySet().removeIf(e -> {
            if (rows.containsKey(e.getKey())) {
                return false;
            }
            registry.remove(e.getValue());
            return true;
        });
        for (final Tags tags : rows.keySet()) {
            l.gauges()
                    .computeIfAbsent(
                            tags,
                            t -> Gauge.builder(l.name(), () -> l.values().getOrDefault(t, Double.NaN))
                                    .description(l.help())
                                    .tags(t)
                                    .register(registry));
        }
    }

    private static void requireSuffix(final String name, final String suffix) {
        if (!name.endsWith(suffix)) {
            throw new IllegalArgumentException("the exported name of " + name + " must end in " + suffix);
        }
    }

    /** A counter's value source, held here: Micrometer's function counters hold theirs weakly. */
    private record Held(DoubleSupplier value) {
        double read() {
            return value.getAsDouble();
        }
    }
}
