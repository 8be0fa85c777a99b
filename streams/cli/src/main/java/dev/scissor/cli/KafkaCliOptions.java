package dev.scissor.cli;

import dev.scissor.kafka.KafkaTopics;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/**
 * The options every Kafka command shares ({@code --bootstrap --config --set --create-topics
 * --partitions --replication --run-for}) and what they do: settings from a file overridden by
 * {@code --set} and by the command's own options, and creation of missing topics.
 */
public final class KafkaCliOptions {

    private final Map<String, Object> fromFile = new LinkedHashMap<>();
    private final Map<String, Object> overrides = new LinkedHashMap<>();
    boolean createTopics;
    int partitions = 8;
    short replication = 1;
    long runForSeconds = -1;

    /**
     * Consumes the shared option at {@code args[i]}.
     *
     * @return the index of the option's last argument, or -1 when {@code args[i]} is not a shared option
     * @throws IllegalArgumentException for a missing or malformed value
     * @throws IOException when the {@code --config} file cannot be read
     */
    int parse(final String[] args, final int i) throws IOException {
        final String a = args[i];
        switch (a) {
            case "--bootstrap" -> overrides.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, value(args, i + 1, a));
            case "--config" -> {
                final Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(Path.of(value(args, i + 1, a)))) {
                    p.load(r);
                }
                p.forEach((k, v) -> fromFile.put(k.toString(), v));
            }
            case "--set" -> {
                final String kv = value(args, i + 1, a);
                final int eq = kv.indexOf('=');
                if (eq < 1) {
                    throw new IllegalArgumentException("--set takes KEY=VALUE, got '" + kv + "'");
                }
                overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
            case "--create-topics" -> {
                createTopics = true;
                return i;
            }
            case "--partitions" -> partitions = Integer.parseInt(value(args, i + 1, a));
            case "--replication" -> replication = Short.parseShort(value(args, i + 1, a));
            case "--run-for" -> runForSeconds = Long.parseLong(value(args, i + 1, a));
            default -> {
                return -1;
            }
        }
        return i + 1;
    }

    /** A command's own options. */
    @FunctionalInterface
    interface OwnOptions {
        /**
         * Consumes the command's option at {@code args[i]}.
         *
         * @return the index of the option's last argument, or -1 when {@code args[i]} is not one of them
         */
        int parse(String[] args, int i);
    }

    /**
     * Parses a command line: {@code -h}/{@code --help} and {@code --describe-config} print and stop,
     * then each argument is tried as one of the command's own options, then as a shared one.
     *
     * @param help the command's usage
     * @param describe the command's settings, for {@code --describe-config}
     * @return false when the command printed its help or settings and should exit with 0
     * @throws IllegalArgumentException for an unknown option or a missing or malformed value
     * @throws IOException when the {@code --config} file cannot be read
     */
    boolean parseAll(final String[] args, final String help, final java.util.function.Supplier<String> describe,
                     final PrintStream out, final OwnOptions own) throws IOException {
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(help);
                return false;
            }
            if (a.equals("--describe-config")) {
                out.print(describe.get());
                return false;
            }
            int last = own.parse(args, i);
            if (last < 0) {
                last = parse(args, i);
            }
            if (last < 0) {
                throw new IllegalArgumentException("unknown option '" + a + "'");
            }
            i = last;
        }
        return true;
    }

    /**
     * Sets a key to the value after the option at {@code args[i]}.
     *
     * @return the value's index
     */
    int set(final String key, final String[] args, final int i) {
        put(key, value(args, i + 1, args[i]));
        return i + 1;
    }

    /** Sets a key from one of the command's own options (wins over --config). */
    void put(final String key, final Object value) {
        overrides.put(key, value);
    }

    /**
     * The settings: the {@code --config} file, overridden by {@code --set} and the command's options.
     *
     * @throws IllegalArgumentException when no bootstrap servers were given
     */
    Map<String, Object> settings() {
        final Map<String, Object> all = new LinkedHashMap<>(fromFile);
        all.putAll(overrides);
        if (!all.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("--bootstrap HOST:PORT is required");
        }
        return all;
    }

    /** Creates the missing topics when {@code --create-topics} was given, each with {@code max.message.bytes}. */
    void ensureTopics(final List<String> topics, final int maxMessageBytes, final String command,
                      final PrintStream out) {
        if (!createTopics) {
            return;
        }
        final Map<String, Integer> partitionsByName = new LinkedHashMap<>();
        topics.forEach(t -> partitionsByName.put(t, partitions));
        try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                settings().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)))) {
            KafkaTopics.ensure(admin, partitionsByName, replication,
                    Map.of("max.message.bytes", Integer.toString(maxMessageBytes)), Duration.ofSeconds(60));
        }
        out.println("scissor " + command + ": topics ready: " + partitionsByName.keySet());
    }

    /** The value after an option. @throws IllegalArgumentException when there is none */
    public static String value(final String[] args, final int i, final String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
