package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.cli.CommandLines.KeyValue;
import dev.scissor.kafka.KafkaTopics;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options every Kafka command shares ({@code --bootstrap --config --set --create-topics
 * --partitions --replication --run-for --describe-config}), a picocli mixin, and what they do:
 * settings from files overridden by {@code --set} and by the command's own options, and creation
 * of missing topics.
 */
final class KafkaCliOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(
            order = 101,
            names = "--bootstrap",
            paramLabel = "SERVERS",
            description = "Kafka bootstrap servers (required, here or as bootstrap.servers in a --config file)")
    private String bootstrap;

    @Option(
            order = 102,
            names = "--config",
            paramLabel = "FILE",
            description = "a properties file of settings (see --describe-config, and any Kafka client key); repeatable")
    private List<Path> configFiles = new ArrayList<>();

    @Option(
            order = 103,
            names = "--set",
            paramLabel = "KEY=VALUE",
            converter = KeyValue.Converter.class,
            description = "one setting; repeatable; wins over --config")
    private List<KeyValue> sets = new ArrayList<>();

    @Option(order = 104, names = "--create-topics", description = "create the command's missing topics first")
    boolean createTopics;

    @Option(
            order = 105,
            names = "--partitions",
            paramLabel = "P",
            description = "partitions of created topics (default 8)")
    int partitions = 8;

    @Option(
            order = 106,
            names = "--replication",
            paramLabel = "R",
            description = "replication factor of created topics (default 1)")
    short replication = 1;

    @Option(
            order = 107,
            names = "--run-for",
            paramLabel = "SECONDS",
            description = "stop after this long (default: until stopped)")
    long runForSeconds = -1;

    @Option(
            order = 108,
            names = "--describe-config",
            help = true,
            description = "print every scissor.* setting of this command with its default and exit")
    boolean describeConfig;

    /** The command's own options' settings, which win over --config and --set. */
    private final Map<String, Object> own = new LinkedHashMap<>();

    /** Sets a key from one of the command's own options; a null value (option not given) is left out. */
    void put(final String key, final Object value) {
        if (value != null) {
            own.put(key, value);
        }
    }

    /**
     * The settings: the {@code --config} files in order, overridden by {@code --set}, then by
     * {@code --bootstrap} and the command's own options.
     *
     * @throws ParameterException when a {@code --config} file cannot be read or no bootstrap servers were given
     */
    Map<String, Object> settings() {
        final Map<String, Object> all = new LinkedHashMap<>();
        for (final Path file : configFiles) {
            final Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (final IOException | IllegalArgumentException e) {
                throw CommandLines.usage(command.commandLine(), "cannot read --config %s (%s)", file, e);
            }
            p.forEach((k, v) -> all.put(k.toString(), v));
        }
        sets.forEach(kv -> all.put(kv.key(), kv.value()));
        if (bootstrap != null) {
            all.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        }
        all.putAll(own);
        if (!all.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw CommandLines.usage(command.commandLine(), "--bootstrap SERVERS is required");
        }
        return all;
    }

    /** Creates the missing topics when {@code --create-topics} was given, each with {@code max.message.bytes}. */
    void ensureTopics(
            final Map<String, Object> settings,
            final List<String> topics,
            final int maxMessageBytes,
            final String command,
            final PrintStream out) {
        if (!createTopics) {
            return;
        }
        final Map<String, Integer> partitionsByName = new LinkedHashMap<>();
        topics.forEach(t -> partitionsByName.put(t, partitions));
        try (Admin admin = Admin.create(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)))) {
            KafkaTopics.ensure(
                    admin,
                    partitionsByName,
                    replication,
                    Map.of("max.message.bytes", Integer.toString(maxMessageBytes)),
                    Duration.ofSeconds(60));
        }
        out.println("scissor " + command + ": topics ready: " + partitionsByName.keySet());
    }
}
