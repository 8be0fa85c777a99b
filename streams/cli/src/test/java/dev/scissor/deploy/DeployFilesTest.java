package dev.scissor.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.scissor.http.HttpService;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.streams.CompressorTopology;
import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * Checks that every file under {@code deploy/} (the Dockerfile, the compose files, the Kubernetes
 * manifests and the apps' properties files) agrees with the applications' own definitions: config
 * keys exist and validate, topics, ports, consumer groups and references match, topics accept the
 * largest records the apps send, and autoscalers never exceed the partitions.
 */
class DeployFilesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path ROOT = repoRoot();
    private static final Path DEPLOY = ROOT.resolve("deploy");
    private static final Pattern K8S_VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Pattern COMPOSE_VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:?-([^}]*))?}");

    // ---------------------------------------------------------------------------------------------
    // The applications, as the deploy files see them.

    /** One app of the {@code scissor} command line and where its config lives. */
    enum App {
        CAPTURE(
                "capture",
                "dev.scissor.pipeline.CaptureConfig",
                "scissor.capture.",
                "scissor.capture.metrics.port",
                "scissor.capture.metrics.bind"),
        ENCODER(
                "encoder",
                "dev.scissor.pipeline.EncoderConfig",
                "scissor.encoder.",
                "scissor.encoder.metrics.port",
                "scissor.encoder.metrics.bind"),
        COMPRESSOR(
                "compressor",
                "dev.scissor.streams.CompressorConfig",
                "scissor.",
                "scissor.http.port",
                "scissor.http.bind"),
        SERVE("serve", "dev.scissor.serve.ServeConfig", "scissor.serve.", "scissor.serve.port", "scissor.serve.bind");

        final String command;
        final String configClass;
        final String prefix;
        final String portKey;
        final String bindKey;

        App(
                final String command,
                final String configClass,
                final String prefix,
                final String portKey,
                final String bindKey) {
            this.command = command;
            this.configClass = configClass;
            this.prefix = prefix;
            this.portKey = portKey;
            this.bindKey = bindKey;
        }

        static App of(final String command, final String where) {
            for (final App a : values()) {
                if (a.command.equals(command)) {
                    return a;
                }
            }
            return fail(where + ": '" + command + "' is not a scissor app command");
        }

        Class<?> type() {
            try {
                return Class.forName(configClass);
            } catch (final ClassNotFoundException e) {
                return fail("config class " + configClass + " of '" + command + "' does not exist");
            }
        }

        ConfigDef definition() {
            for (final Field f : type().getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigDef.class.isAssignableFrom(f.getType())) {
                    try {
                        return (ConfigDef) f.get(null);
                    } catch (final IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            return fail(configClass + " has no public static ConfigDef");
        }
    }

    /** An app started with its effective settings (file, then --set and options). */
    record Invocation(
            App app,
            String where,
            Map<String, Object> settings,
            List<String> sources,
            List<String> streamIds,
            Path configFile) {

        /** The app's own keys with defaults, parsed by its ConfigDef. */
        Map<String, Object> parsed() {
            final Map<String, Object> own = new HashMap<>();
            settings.forEach((k, v) -> {
                if (k.startsWith("scissor.")) {
                    own.put(k, v);
                }
            });
            return app.definition().parse(own);
        }

        int port() {
            return ((Number) parsed().get(app.portKey)).intValue();
        }

        /** Checks that the app's HTTP endpoint binds every interface, as a container's must to be reachable. */
        void assertBindsAllInterfaces() {
            assertEquals(
                    "0.0.0.0",
                    parsed().get(app.bindKey),
                    where + ": " + app.command + " must set " + app.bindKey
                            + "=0.0.0.0 (the default, 127.0.0.1, is unreachable from outside the container)");
        }

        String bootstrap() {
            return String.valueOf(settings.get("bootstrap.servers"));
        }

        /** The topic the app consumes (null for capture). */
        String inputTopic() {
            final Map<String, Object> p = parsed();
            return switch (app) {
                case CAPTURE -> null;
                case ENCODER -> (String) p.get("scissor.encoder.topic.frames");
                case COMPRESSOR -> (String) p.get("scissor.topic.tokens");
                case SERVE -> (String) p.get("scissor.serve.topic.windows");
            };
        }

        /** Each topic the app writes, with the largest record it may send there. */
        Map<String, Integer> outputs() {
            final Map<String, Object> p = parsed();
            final Map<String, Integer> out = new LinkedHashMap<>();
            switch (app) {
                case CAPTURE ->
                    out.put(
                            (String) p.get("scissor.capture.topic.frames"),
                            intSetting("max.request.size", CaptureConfig.MAX_REQUEST_BYTES));
                case ENCODER -> {
                    final int max = intSetting(
                            "producer.max.request.size",
                            intSetting("max.request.size", EncoderConfig.MAX_REQUEST_BYTES));
                    out.put((String) p.get("scissor.encoder.topic.tokens"), max);
                    out.put((String) p.get("scissor.encoder.topic.dlq"), max);
                }
                case COMPRESSOR -> {
                    final int max = intSetting("producer.max.request.size", CompressorTopology.MAX_MESSAGE_BYTES);
                    out.put((String) p.get("scissor.topic.windows"), max);
                    out.put((String) p.get("scissor.topic.dlq"), max);
                }
                case SERVE -> {}
            }
            return out;
        }

        /** The consumer group the app's input lag is measured on. */
        String group() {
            return switch (app) {
                case ENCODER ->
                    String.valueOf(settings.getOrDefault(
                            "consumer.group.id", settings.getOrDefault("group.id", EncoderConfig.DEFAULT_GROUP_ID)));
                case COMPRESSOR ->
                    String.valueOf(settings.getOrDefault("application.id", CompressorConfig.DEFAULT_APPLICATION_ID));
                default -> null;
            };
        }

        private int intSetting(final String key, final int dflt) {
            final Object v = settings.get(key);
            return v == null ? dflt : Integer.parseInt(v.toString().strip());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Every file.

    @Test
    void everyFileUnderDeployIsReadAndChecked() throws IOException {
        final List<Path> files;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(files.contains(DEPLOY.resolve("Dockerfile")), "deploy/Dockerfile is missing");
        assertTrue(files.contains(DEPLOY.resolve("docker-compose.yml")), "deploy/docker-compose.yml is missing");
        assertTrue(
                files.contains(DEPLOY.resolve("k8s/kustomization.yaml")), "deploy/k8s/kustomization.yaml is missing");
        for (final Path f : files) {
            final String name = f.getFileName().toString();
            if (name.endsWith(".yml") || name.endsWith(".yaml")) {
                final List<JsonNode> docs = yamlDocs(f);
                assertFalse(docs.isEmpty(), rel(f) + ": no YAML documents");
                for (final JsonNode d : docs) {
                    assertTrue(d.isObject(), rel(f) + ": a document is not a mapping");
                }
            } else if (name.endsWith(".properties")) {
                validateProperties(f);
            } else if (name.equals("Dockerfile")) {
                assertFalse(dockerInstructions(f).isEmpty(), rel(f) + ": no instructions");
            } else if (!name.endsWith(".md") && !name.endsWith(".sh")) {
                fail(rel(f) + ": a file type this test does not check; teach DeployFilesTest about it");
            }
        }
    }

    /** Every properties file is one app's config: known keys that validate. */
    @Test
    void propertiesFilesValidateAgainstTheApps() throws IOException {
        try (Stream<Path> s = Files.list(DEPLOY.resolve("config"))) {
            final List<Path> props =
                    s.filter(p -> p.toString().endsWith(".properties")).toList();
            final Set<String> apps = new HashSet<>();
            for (final Path p : props) {
                apps.add(validateProperties(p).command);
            }
            for (final App a : App.values()) {
                assertTrue(apps.contains(a.command), "deploy/config has no " + a.command + ".properties");
            }
        }
    }

    private static App validateProperties(final Path file) throws IOException {
        final String base = file.getFileName().toString().replace(".properties", "");
        final App app = App.of(base, rel(file) + " (named after its app)");
        final Map<String, Object> settings = new LinkedHashMap<>(loadProperties(file));
        settings.putIfAbsent("bootstrap.servers", "localhost:9092");
        validate(new Invocation(app, rel(file), settings, List.of(), List.of(), file));
        return app;
    }

    /** Known keys (app keys in its ConfigDef, others Kafka client/Streams keys) that validate. */
    private static void validate(final Invocation inv) {
        final ConfigDef def = inv.app().definition();
        final Set<String> kafkaKeys = kafkaKeys();
        for (final Map.Entry<String, Object> e : inv.settings().entrySet()) {
            final String k = e.getKey();
            if (k.startsWith("scissor.")) {
                assertTrue(
                        k.startsWith(inv.app().prefix) && def.names().contains(k),
                        inv.where() + ": '" + k + "' is not a setting of " + inv.app().command + " (known: "
                                + new TreeMap<>(def.configKeys()).keySet() + ")");
            } else {
                String bare = k;
                for (final String prefix : List.of(
                        "main.consumer.",
                        "restore.consumer.",
                        "global.consumer.",
                        "consumer.",
                        "producer.",
                        "admin.")) {
                    if (bare.startsWith(prefix)) {
                        bare = bare.substring(prefix.length());
                        break;
                    }
                }
                assertTrue(
                        kafkaKeys.contains(bare),
                        inv.where() + ": '" + k + "' is neither a Scissor key nor a " + "Kafka client or Streams key");
            }
        }
        try {
            inv.parsed();
            final Constructor<?> c = inv.app().type().getConstructor(Map.class);
            c.newInstance(inv.settings());
        } catch (final NoSuchMethodException e) {
            // no Map constructor: the ConfigDef parse above is the check
        } catch (final InvocationTargetException e) {
            fail(inv.where() + ": " + inv.app().command + " rejects its settings: "
                    + e.getCause().getMessage());
        } catch (final ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        } catch (final RuntimeException e) {
            fail(inv.where() + ": " + inv.app().command + " rejects its settings: " + e.getMessage());
        }
    }

    private static Set<String> kafkaKeys() {
        final Set<String> keys = new HashSet<>();
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        keys.addAll(StreamsConfig.configDef().names());
        return keys;
    }

    // ---------------------------------------------------------------------------------------------
    // The Dockerfile.

    @Test
    void dockerfileRunsTheCliAsNonRootWithTheModelBakedIn() throws Exception {
        final Path file = DEPLOY.resolve("Dockerfile");
        final List<String[]> ins = dockerInstructions(file);
        final Set<String> stages = new HashSet<>();
        final Map<String, String> args = new HashMap<>();
        String entrypoint = null;
        String user = null;
        String lastFrom = null;
        boolean fetchesModel = false;
        boolean gpuProfile = false;
        final Map<String, String> env = new HashMap<>();
        for (final String[] in : ins) {
            final String op = in[0];
            final String rest = in[1];
            switch (op) {
                case "ARG" -> {
                    final String[] kv = rest.split("=", 2);
                    if (kv.length == 2) {
                        args.put(kv[0].strip(), kv[1].strip());
                    }
                }
                case "FROM" -> {
                    final Matcher m =
                            Pattern.compile("(?i)^(\\S+)(?:\\s+AS\\s+(\\S+))?").matcher(rest.strip());
                    assertTrue(m.find(), "Dockerfile: bad FROM " + rest);
                    lastFrom = m.group(2);
                    if (lastFrom != null) {
                        stages.add(lastFrom);
                    }
                    user = null;
                }
                case "USER" -> user = rest.strip();
                case "ENTRYPOINT" -> entrypoint = rest;
                case "ENV" -> {
                    final Matcher m =
                            Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)").matcher(rest);
                    while (m.find()) {
                        env.put(m.group(1), m.group(2).replace("\"", ""));
                    }
                }
                case "RUN" -> {
                    fetchesModel |= rest.contains("dev.scissor.encoder.model.ModelTool fetch");
                    gpuProfile |= rest.contains("-Pgpu");
                }
                case "COPY" -> {
                    if (!rest.contains("--from")) {
                        final String[] parts = rest.strip().split("\\s+");
                        for (int i = 0; i < parts.length - 1; i++) {
                            if (!parts[i].startsWith("--")) {
                                assertTrue(
                                        Files.exists(ROOT.resolve(parts[i])),
                                        "Dockerfile: COPY source " + parts[i] + " does not exist in the build context");
                            }
                        }
                    } else {
                        final Matcher m = Pattern.compile("--from=(\\S+)").matcher(rest);
                        assertTrue(m.find());
                        final String from = m.group(1);
                        assertTrue(
                                stages.contains(from) || from.contains("/") || from.contains(":"),
                                "Dockerfile: COPY --from=" + from + " names no earlier stage");
                    }
                }
                default -> {}
            }
        }
        assertNotNull(entrypoint, "Dockerfile: no ENTRYPOINT");
        final Matcher main = Pattern.compile("(dev\\.scissor\\.[\\w.]+)\\s").matcher(entrypoint);
        assertTrue(main.find(), "Dockerfile: ENTRYPOINT names no dev.scissor main class");
        final Class<?> mainClass = Class.forName(main.group(1));
        final Method m = mainClass.getMethod("main", String[].class);
        assertTrue(Modifier.isStatic(m.getModifiers()), "Dockerfile: " + mainClass + ".main is not static");
        assertNotNull(user, "Dockerfile: the final stage runs as root (no USER)");
        assertFalse(user.equals("root") || user.startsWith("0"), "Dockerfile: the final stage runs as root");
        assertTrue(fetchesModel, "Dockerfile: no RUN fetches the encoder model (ModelTool fetch)");
        Class.forName("dev.scissor.encoder.model.ModelTool").getMethod("main", String[].class);
        assertEquals(
                "/opt/scissor/models",
                env.get("SCISSOR_MODEL_CACHE"),
                "Dockerfile: the runtime's SCISSOR_MODEL_CACHE is not where the model is copied");
        assertTrue(
                Files.readString(file)
                        .contains("--from=models --chown=scissor:scissor /out/models /opt/scissor/models"),
                "Dockerfile: the baked model is not copied (writable for the cache lock) to SCISSOR_MODEL_CACHE");
        // Both variants have a runtime base, and the gpu one builds with the root POM's gpu profile.
        for (final String variant : List.of("cpu", "gpu")) {
            assertTrue(stages.contains("base-" + variant), "Dockerfile: no stage base-" + variant);
        }
        assertEquals("cpu", args.get("VARIANT"), "Dockerfile: VARIANT should default to cpu");
        assertTrue(gpuProfile, "Dockerfile: the gpu variant does not build with -Pgpu");
        assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("<id>gpu</id>"), "root pom has no gpu profile");
        assertTrue(
                args.getOrDefault("CUDA_IMAGE", "").matches("nvidia/cuda:12\\.[0-9.]+-cudnn-runtime-.*"),
                "Dockerfile: the GPU base must be a CUDA 12 + cuDNN runtime image (ORT 1.29 GPU)");
    }

    // ---------------------------------------------------------------------------------------------
    // docker compose.

    @Test
    void composeAgreesWithTheApps() throws IOException {
        final Path file = DEPLOY.resolve("docker-compose.yml");
        final JsonNode compose = single(file);
        final JsonNode services = compose.path("services");
        final Set<String> declaredVolumes = names(compose.path("volumes"));
        final Map<String, Topic> topics = composeTopics(services.path("topics"), rel(file));
        // The broker accepts the largest record.
        final long brokerMax = Long.parseLong(services.path("kafka")
                .path("environment")
                .path("KAFKA_MESSAGE_MAX_BYTES")
                .asText("1048588"));

        final Map<String, Invocation> apps = new LinkedHashMap<>();
        for (final Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            final String name = e.getKey();
            final JsonNode svc = e.getValue();
            final String where = rel(file) + " service " + name;
            for (final String dep : names(svc.path("depends_on"))) {
                assertTrue(services.has(dep), where + ": depends_on unknown service " + dep);
            }
            final Map<String, Path> mounts = composeMounts(svc, declaredVolumes, where);
            if (!svc.path("image").asText().startsWith("scissor:")) {
                continue;
            }
            assertEquals(
                    "deploy/Dockerfile", svc.path("build").path("dockerfile").asText(), where + ": build");
            final Invocation inv = invocation(
                    strings(svc.path("command"), DeployFilesTest::composeInterpolate),
                    where,
                    path -> resolveMount(mounts, path));
            validate(inv);
            inv.assertBindsAllInterfaces();
            apps.put(name, inv);
            if (inv.app() == App.COMPRESSOR || inv.app() == App.SERVE) {
                assertTrue(
                        svc.path("environment").has(HttpService.TOKEN_ENV),
                        where + ": passes no " + HttpService.TOKEN_ENV
                                + " (compressors and the QA service must share the token)");
            }
            assertEquals("kafka:9092", inv.bootstrap(), where + ": bootstrap");
            checkComposeHealth(svc, inv, where);
            for (final JsonNode p : svc.path("ports")) {
                final String[] hp = p.asText().split(":");
                assertEquals(inv.port(), Integer.parseInt(hp[hp.length - 1]), where + ": published container port");
            }
            checkTopics(inv, topics, where);
            inv.outputs()
                    .values()
                    .forEach(max -> assertTrue(
                            brokerMax >= max,
                            where + ": the broker's message.max.bytes " + brokerMax + " is below " + max));
        }
        for (final App a : App.values()) {
            assertTrue(
                    apps.values().stream().anyMatch(i -> i.app() == a), rel(file) + ": no " + a.command + " service");
        }
        // Two compressor instances of one application, each with its own state and advertised host.
        final Map<String, Invocation> compressors = apps.entrySet().stream()
                .filter(e -> e.getValue().app() == App.COMPRESSOR)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
        assertTrue(compressors.size() >= 2, rel(file) + ": fewer than two compressor instances");
        assertEquals(
                1,
                compressors.values().stream().map(Invocation::group).distinct().count(),
                rel(file) + ": compressor instances with different application ids");
        final Set<String> stateVolumes = new HashSet<>();
        for (final Map.Entry<String, Invocation> e : compressors.entrySet()) {
            final String where = rel(file) + " service " + e.getKey();
            final JsonNode svc = services.path(e.getKey());
            final String host = (String) e.getValue().parsed().get("scissor.http.advertised.host");
            assertTrue(
                    host.equals(e.getKey()) || host.equals(svc.path("hostname").asText()),
                    where + ": advertises host '" + host + "', not its own service name");
            final String stateDir = String.valueOf(e.getValue().settings().get("state.dir"));
            final String volume = composeVolumeAt(svc, stateDir);
            assertNotNull(volume, where + ": state dir " + stateDir + " is not on a named volume");
            assertTrue(stateVolumes.add(volume), where + ": shares state volume " + volume);
        }
        // The QA service reaches the compressors.
        for (final Invocation serve :
                apps.values().stream().filter(i -> i.app() == App.SERVE).toList()) {
            for (final URI url : urls(serve)) {
                final Invocation target = compressors.get(url.getHost());
                assertNotNull(target, serve.where() + ": compressor URL " + url + " names no compressor service");
                assertEquals(target.port(), url.getPort(), serve.where() + ": compressor URL port " + url);
            }
        }
        // The GPU override: the same encoder on the CUDA image with a GPU reserved.
        final Path gpuFile = DEPLOY.resolve("docker-compose.gpu.yml");
        final JsonNode gpu = single(gpuFile).path("services").path("encoder");
        final String where = rel(gpuFile) + " service encoder";
        assertTrue(services.has("encoder"), where + ": overrides a service the base file lacks");
        final Map<String, Path> mounts = composeMounts(services.path("encoder"), declaredVolumes, where);
        final Invocation enc = invocation(
                strings(gpu.path("command"), DeployFilesTest::composeInterpolate),
                where,
                path -> resolveMount(mounts, path));
        validate(enc);
        enc.assertBindsAllInterfaces();
        assertEquals(App.ENCODER, enc.app(), where);
        assertEquals("cuda", enc.parsed().get("scissor.encoder.device"), where + ": device");
        assertEquals(apps.get("encoder").group(), enc.group(), where + ": consumer group");
        assertEquals("gpu", gpu.path("build").path("args").path("VARIANT").asText(), where + ": build arg VARIANT");
        assertEquals("scissor:gpu", gpu.path("image").asText(), where + ": image");
        final JsonNode dev = gpu.path("deploy")
                .path("resources")
                .path("reservations")
                .path("devices")
                .path(0);
        assertEquals("nvidia", dev.path("driver").asText(), where + ": GPU device reservation");
        assertTrue(strings(dev.path("capabilities"), s -> s).contains("gpu"), where + ": GPU capability");
    }

    private static void checkComposeHealth(final JsonNode svc, final Invocation inv, final String where) {
        final List<String> test = strings(svc.path("healthcheck").path("test"), s -> s);
        assertFalse(test.isEmpty(), where + ": no healthcheck");
        final Matcher m = Pattern.compile("https?://(localhost|127\\.0\\.0\\.1):(\\d+)(/\\S*)")
                .matcher(String.join(" ", test));
        assertTrue(m.find(), where + ": healthcheck calls no local HTTP URL");
        assertEquals(inv.port(), Integer.parseInt(m.group(2)), where + ": healthcheck port");
        assertEquals("/metrics", m.group(3), where + ": healthcheck path");
    }

    /** Container path -> host file or named volume ("volume:NAME") of a service's mounts. */
    private static Map<String, Path> composeMounts(final JsonNode svc, final Set<String> declared, final String where) {
        final Map<String, Path> mounts = new HashMap<>();
        for (final JsonNode v : svc.path("volumes")) {
            final String[] parts = v.asText().split(":");
            assertTrue(parts.length >= 2, where + ": volume " + v.asText());
            if (parts[0].startsWith(".") || parts[0].startsWith("/")) {
                final Path host = DEPLOY.resolve(parts[0]).normalize();
                assertTrue(Files.exists(host), where + ": mounted path " + parts[0] + " does not exist");
                mounts.put(parts[1], host);
            } else {
                assertTrue(declared.contains(parts[0]), where + ": volume " + parts[0] + " is not declared");
            }
        }
        return mounts;
    }

    /** The host file at a container path, through a file or directory mount; null if not mounted. */
    private static Path resolveMount(final Map<String, Path> mounts, final String path) {
        for (final Map.Entry<String, Path> m : mounts.entrySet()) {
            if (path.equals(m.getKey())) {
                return Files.isRegularFile(m.getValue()) ? m.getValue() : null;
            }
            if (under(path, m.getKey()) && Files.isDirectory(m.getValue())) {
                final Path f =
                        m.getValue().resolve(path.substring(m.getKey().length()).replaceFirst("^/+", ""));
                return Files.isRegularFile(f) ? f : null;
            }
        }
        return null;
    }

    private static String composeVolumeAt(final JsonNode svc, final String dir) {
        for (final JsonNode v : svc.path("volumes")) {
            final String[] parts = v.asText().split(":");
            if (!parts[0].startsWith(".") && !parts[0].startsWith("/") && under(dir, parts[1])) {
                return parts[0];
            }
        }
        return null;
    }

    private static Map<String, Topic> composeTopics(final JsonNode svc, final String where) {
        final Map<String, Topic> topics = new HashMap<>();
        final String script = String.join("\n", strings(svc.path("command"), s -> s));
        for (final String line : script.split("\n")) {
            if (!line.contains("kafka-topics.sh") || !line.contains("--create")) {
                continue;
            }
            assertTrue(line.contains("--if-not-exists"), where + " topics: not idempotent: " + line);
            final String name = option(line, "--topic");
            final Map<String, String> configs = new HashMap<>();
            final Matcher c = Pattern.compile("--config\\s+([\\w.]+)=(\\S+)").matcher(line);
            while (c.find()) {
                configs.put(c.group(1), c.group(2));
            }
            topics.put(name, new Topic(name, Integer.parseInt(option(line, "--partitions")), configs));
        }
        assertFalse(topics.isEmpty(), where + ": the topics service creates no topics");
        return topics;
    }

    private static String option(final String line, final String opt) {
        final Matcher m = Pattern.compile(Pattern.quote(opt) + "\\s+(\\S+)").matcher(line);
        assertTrue(m.find(), "no " + opt + " in: " + line);
        return m.group(1);
    }

    /** Compose interpolation: ${X:-default} and ${X-default} give the default, $$ a dollar. */
    private static String composeInterpolate(final String s) {
        final Matcher m = COMPOSE_VAR.matcher(s);
        final StringBuilder out = new StringBuilder();
        while (m.find()) {
            assertNotNull(m.group(2), "compose value '" + s + "': ${" + m.group(1) + "} needs a default");
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(3)));
        }
        m.appendTail(out);
        return out.toString().replace("$$", "$");
    }

    // ---------------------------------------------------------------------------------------------
    // Kubernetes.

    @Test
    void kubernetesManifestsAgreeWithTheApps() throws IOException {
        final Path kustomization = DEPLOY.resolve("k8s/kustomization.yaml");
        final JsonNode kust = single(kustomization);
        final String namespace = kust.path("namespace").asText();
        assertFalse(namespace.isEmpty(), rel(kustomization) + ": no namespace");
        final List<Doc> docs = new ArrayList<>();
        final Map<String, Map<String, Path>> configMaps = new HashMap<>();
        loadKustomization(kustomization.getParent(), docs, configMaps);
        assertTrue(
                docs.stream()
                        .anyMatch(d -> d.kind().equals("Namespace") && d.name().equals(namespace)),
                "no Namespace " + namespace);

        // Kafka: the cluster, its pool, its topics.
        final List<Doc> kafkas =
                docs.stream().filter(d -> d.kind().equals("Kafka")).toList();
        assertEquals(1, kafkas.size(), "one Strimzi Kafka expected");
        final Doc kafka = kafkas.get(0);
        final JsonNode plain = stream(kafka.node().path("spec").path("kafka").path("listeners"))
                .filter(l -> !l.path("tls").asBoolean(false))
                .findFirst()
                .orElse(null);
        assertNotNull(plain, kafka + ": no plain listener");
        final String bootstrap =
                kafka.name() + "-kafka-bootstrap:" + plain.path("port").asInt();
        final long brokerMax = kafka.node()
                .path("spec")
                .path("kafka")
                .path("config")
                .path("message.max.bytes")
                .asLong(1048588);
        int brokers = 0;
        for (final Doc pool :
                docs.stream().filter(d -> d.kind().equals("KafkaNodePool")).toList()) {
            assertEquals(
                    kafka.name(),
                    pool.node()
                            .path("metadata")
                            .path("labels")
                            .path("strimzi.io/cluster")
                            .asText(),
                    pool + ": strimzi.io/cluster label");
            if (strings(pool.node().path("spec").path("roles"), s -> s).contains("broker")) {
                brokers += pool.node().path("spec").path("replicas").asInt();
            }
        }
        assertTrue(brokers > 0, "no KafkaNodePool with the broker role");
        final Map<String, Topic> topics = new HashMap<>();
        for (final Doc t :
                docs.stream().filter(d -> d.kind().equals("KafkaTopic")).toList()) {
            assertEquals(
                    kafka.name(),
                    t.node()
                            .path("metadata")
                            .path("labels")
                            .path("strimzi.io/cluster")
                            .asText(),
                    t + ": strimzi.io/cluster label");
            final JsonNode spec = t.node().path("spec");
            assertTrue(spec.path("replicas").asInt() <= brokers, t + ": more replicas than brokers");
            final Map<String, String> configs = new HashMap<>();
            spec.path("config")
                    .fields()
                    .forEachRemaining(e -> configs.put(e.getKey(), e.getValue().asText()));
            assertTrue(configs.containsKey("retention.ms"), t + ": no retention.ms");
            final String name = spec.path("topicName").asText(t.name());
            topics.put(name, new Topic(name, spec.path("partitions").asInt(), configs));
        }
        // Short-lived working data, longer-lived results.
        assertTrue(
                retention(topics, "frames") < retention(topics, "windows"),
                "frames should be kept shorter than windows");

        // Workloads.
        final Map<String, Invocation> apps = new LinkedHashMap<>();
        final Map<String, Doc> workloads = new LinkedHashMap<>();
        for (final Doc w : docs.stream()
                .filter(d -> d.kind().equals("Deployment") || d.kind().equals("StatefulSet"))
                .toList()) {
            workloads.put(w.kind() + "/" + w.name(), w);
            final JsonNode pod = w.node().path("spec").path("template");
            final JsonNode selector = w.node().path("spec").path("selector").path("matchLabels");
            selector.fields()
                    .forEachRemaining(e -> assertEquals(
                            e.getValue().asText(),
                            pod.path("metadata").path("labels").path(e.getKey()).asText(),
                            w + ": selector does not match pods"));
            final Map<String, JsonNode> volumes = new HashMap<>();
            for (final JsonNode v : pod.path("spec").path("volumes")) {
                volumes.put(v.path("name").asText(), v);
            }
            final Set<String> claimTemplates = new HashSet<>();
            for (final JsonNode t : w.node().path("spec").path("volumeClaimTemplates")) {
                claimTemplates.add(t.path("metadata").path("name").asText());
            }
            for (final JsonNode c : pod.path("spec").path("containers")) {
                final String where = w + " container " + c.path("name").asText();
                final Map<String, String> env = k8sEnv(c, configMaps, docs, where);
                final Map<String, Path> mounts = new HashMap<>();
                final Map<String, String> mountVolume = new HashMap<>();
                for (final JsonNode m : c.path("volumeMounts")) {
                    final String vol = m.path("name").asText();
                    final String path = m.path("mountPath").asText();
                    mountVolume.put(path, vol);
                    final JsonNode v = volumes.get(vol);
                    if (v == null) {
                        assertTrue(claimTemplates.contains(vol), where + ": mounts unknown volume " + vol);
                        continue;
                    }
                    if (v.has("configMap")) {
                        final String cm = v.path("configMap").path("name").asText();
                        final Map<String, Path> files = configMaps.get(cm);
                        assertNotNull(files, where + ": volume " + vol + " names unknown ConfigMap " + cm);
                        files.forEach((key, host) -> mounts.put(path + "/" + key, host));
                    }
                }
                if (pod.path("spec").path("containers").size() == 1) {
                    volumes.keySet()
                            .forEach(v -> assertTrue(
                                    mountVolume.containsValue(v), where + ": volume " + v + " is never mounted"));
                }
                if (!c.path("image").asText().startsWith("scissor:")) {
                    continue;
                }
                final Invocation inv = invocation(
                        strings(c.path("args"), s -> k8sExpand(s, env, where)), where, p -> resolveMount(mounts, p));
                validate(inv);
                apps.put(w.kind() + "/" + w.name(), inv);
                assertEquals(bootstrap, inv.bootstrap(), where + ": bootstrap must be the Strimzi bootstrap service");
                checkK8sPorts(pod, c, inv, where);
                inv.assertBindsAllInterfaces();
                if (inv.app() == App.COMPRESSOR || inv.app() == App.SERVE) {
                    final List<String> secrets = new ArrayList<>();
                    c.path("env").forEach(e -> {
                        if (e.path("name").asText().equals(HttpService.TOKEN_ENV)) {
                            secrets.add(e.path("valueFrom")
                                            .path("secretKeyRef")
                                            .path("name")
                                            .asText() + "/"
                                    + e.path("valueFrom")
                                            .path("secretKeyRef")
                                            .path("key")
                                            .asText());
                        }
                    });
                    assertEquals(
                            List.of("scissor-http/token"),
                            secrets,
                            where + ": " + HttpService.TOKEN_ENV
                                    + " must come from the Secret scissor-http (key token), shared by compressors and QA");
                }
                checkTopics(inv, topics, where);
                inv.outputs()
                        .values()
                        .forEach(max -> assertTrue(
                                brokerMax >= max,
                                where + ": the Kafka message.max.bytes " + brokerMax + " is below " + max));
                final JsonNode res = c.path("resources");
                assertTrue(
                        res.path("requests").has("cpu")
                                && res.path("requests").has("memory")
                                && res.path("limits").has("memory"),
                        where + ": resource requests/limits");
                if (inv.app() == App.ENCODER) {
                    assertEquals("1", res.path("limits").path("nvidia.com/gpu").asText(), where + ": GPU limit");
                    assertTrue(c.path("image").asText().endsWith(":gpu"), where + ": not the GPU image");
                    assertEquals("cuda", inv.parsed().get("scissor.encoder.device"), where + ": device");
                    assertTrue(
                            pod.path("spec").has("nodeSelector")
                                    && pod.path("spec").has("tolerations"),
                            where + ": GPU nodeSelector/tolerations");
                }
                if (inv.app() == App.COMPRESSOR) {
                    assertEquals("StatefulSet", w.kind(), where + ": the compressor keeps state: a StatefulSet");
                    final String stateDir = String.valueOf(inv.settings().get("state.dir"));
                    final String vol = mountVolume.entrySet().stream()
                            .filter(e -> under(stateDir, e.getKey()))
                            .map(Map.Entry::getValue)
                            .findFirst()
                            .orElse(null);
                    assertTrue(
                            vol != null && claimTemplates.contains(vol),
                            where + ": state dir " + stateDir + " is not on a volumeClaimTemplate");
                    final String serviceName =
                            w.node().path("spec").path("serviceName").asText();
                    final Doc headless = find(docs, "Service", serviceName);
                    assertNotNull(headless, where + ": serviceName " + serviceName + " is no Service");
                    assertEquals(
                            "None",
                            headless.node().path("spec").path("clusterIP").asText(),
                            headless + ": must be headless");
                    final String raw = rawSet(c, "scissor.http.advertised.host");
                    assertEquals(
                            "$(POD_NAME)." + serviceName + ".$(POD_NAMESPACE).svc.cluster.local",
                            raw,
                            where + ": advertised host must be the pod's stable DNS name");
                    assertEquals("metadata.name", fieldRef(c, "POD_NAME"), where + ": POD_NAME");
                    assertEquals("metadata.namespace", fieldRef(c, "POD_NAMESPACE"), where + ": POD_NAMESPACE");
                }
            }
        }
        for (final App a : App.values()) {
            assertTrue(apps.values().stream().anyMatch(i -> i.app() == a), "no Kubernetes workload runs " + a.command);
        }

        // Services select pods and reach declared ports.
        for (final Doc s : docs.stream().filter(d -> d.kind().equals("Service")).toList()) {
            final List<JsonNode> pods = selected(s, workloads.values());
            assertFalse(pods.isEmpty(), s + ": selects no pods");
            for (final JsonNode p : s.node().path("spec").path("ports")) {
                for (final JsonNode pod : pods) {
                    assertTrue(
                            containerPort(pod, p.path("targetPort")) > 0,
                            s + ": targetPort " + p.path("targetPort").asText() + " is no container port");
                }
            }
        }

        // The QA service reaches the compressors.
        for (final Invocation serve :
                apps.values().stream().filter(i -> i.app() == App.SERVE).toList()) {
            for (final URI url : urls(serve)) {
                final Doc svc = find(docs, "Service", url.getHost());
                assertNotNull(svc, serve.where() + ": compressor URL " + url + " names no Service");
                final JsonNode port = stream(svc.node().path("spec").path("ports"))
                        .filter(p -> p.path("port").asInt() == url.getPort())
                        .findFirst()
                        .orElse(null);
                assertNotNull(port, serve.where() + ": Service " + svc.name() + " has no port " + url.getPort());
                for (final Map.Entry<String, Doc> w : workloads.entrySet()) {
                    if (selected(svc, List.of(w.getValue())).isEmpty()) {
                        continue;
                    }
                    final Invocation target = apps.get(w.getKey());
                    assertEquals(App.COMPRESSOR, target.app(), serve.where() + ": " + url + " reaches " + w.getKey());
                    assertEquals(
                            target.port(),
                            containerPort(w.getValue().node().path("spec").path("template"), port.path("targetPort")),
                            serve.where() + ": " + url + " does not reach the compressor port");
                }
            }
        }

        // Autoscaling on consumer lag.
        final List<Doc> scaled =
                docs.stream().filter(d -> d.kind().equals("ScaledObject")).toList();
        final Set<App> autoscaled = new HashSet<>();
        for (final Doc so : scaled) {
            final JsonNode spec = so.node().path("spec");
            final String target = spec.path("scaleTargetRef").path("kind").asText("Deployment") + "/"
                    + spec.path("scaleTargetRef").path("name").asText();
            final Invocation inv = apps.get(target);
            assertNotNull(inv, so + ": scaleTargetRef " + target + " is no Scissor workload");
            autoscaled.add(inv.app());
            for (final JsonNode trig : spec.path("triggers")) {
                assertEquals("kafka", trig.path("type").asText(), so + ": trigger type");
                final JsonNode md = trig.path("metadata");
                assertEquals(inv.group(), md.path("consumerGroup").asText(), so + ": consumerGroup");
                assertEquals(inv.inputTopic(), md.path("topic").asText(), so + ": topic");
                assertEquals(
                        kafka.name() + "-kafka-bootstrap." + namespace + ".svc:"
                                + plain.path("port").asInt(),
                        md.path("bootstrapServers").asText(),
                        so + ": bootstrapServers");
                final Topic topic = topics.get(inv.inputTopic());
                assertNotNull(topic, so + ": topic " + inv.inputTopic() + " has no KafkaTopic");
                assertTrue(
                        spec.path("maxReplicaCount").asInt() <= topic.partitions(),
                        so + ": maxReplicaCount " + spec.path("maxReplicaCount").asInt() + " exceeds the "
                                + topic.partitions() + " partitions of " + topic.name());
                assertTrue(spec.path("minReplicaCount").asInt() >= 1, so + ": minReplicaCount");
            }
        }
        assertTrue(
                autoscaled.containsAll(Set.of(App.ENCODER, App.COMPRESSOR)), "encoder and compressor are autoscaled");
    }

    private static void checkK8sPorts(final JsonNode pod, final JsonNode c, final Invocation inv, final String where) {
        final Set<Integer> ports = new HashSet<>();
        c.path("ports").forEach(p -> ports.add(p.path("containerPort").asInt()));
        assertTrue(ports.contains(inv.port()), where + ": no containerPort " + inv.port());
        for (final String probe : List.of("readinessProbe", "livenessProbe")) {
            final JsonNode get = c.path(probe).path("httpGet");
            assertFalse(get.isMissingNode(), where + ": no HTTP " + probe);
            assertEquals(inv.port(), containerPort(pod, get.path("port")), where + ": " + probe + " port");
            assertEquals("/metrics", get.path("path").asText(), where + ": " + probe + " path");
        }
        final JsonNode ann = pod.path("metadata").path("annotations");
        assertEquals("true", ann.path("prometheus.io/scrape").asText(), where + ": prometheus.io/scrape");
        assertEquals(
                String.valueOf(inv.port()), ann.path("prometheus.io/port").asText(), where + ": prometheus.io/port");
        assertEquals("/metrics", ann.path("prometheus.io/path").asText("/metrics"), where + ": prometheus.io/path");
    }

    /** Reads a kustomization and its resources (files and directories with their own kustomization). */
    private static void loadKustomization(
            final Path dir, final List<Doc> docs, final Map<String, Map<String, Path>> configMaps) throws IOException {
        final Path file = dir.resolve("kustomization.yaml");
        final JsonNode k = single(file);
        for (final String r : strings(k.path("resources"), s -> s)) {
            final Path p = dir.resolve(r).normalize();
            assertTrue(Files.exists(p), rel(file) + ": resource " + r + " does not exist");
            if (Files.isDirectory(p)) {
                loadKustomization(p, docs, configMaps);
            } else {
                for (final JsonNode d : yamlDocs(p)) {
                    docs.add(new Doc(rel(p), d));
                }
            }
        }
        for (final JsonNode g : k.path("configMapGenerator")) {
            final String name = g.path("name").asText();
            assertTrue(
                    k.path("generatorOptions").path("disableNameSuffixHash").asBoolean(false),
                    rel(file) + ": ConfigMap names are referenced verbatim; disable the name suffix hash");
            final Map<String, Path> files = new HashMap<>();
            for (final String f : strings(g.path("files"), s -> s)) {
                final String[] kv = f.split("=", 2);
                final Path p = dir.resolve(kv[kv.length - 1]).normalize();
                assertTrue(p.startsWith(dir), rel(file) + ": " + f + " is outside the kustomization (load restrictor)");
                assertTrue(Files.isRegularFile(p), rel(file) + ": ConfigMap file " + f + " does not exist");
                files.put(kv.length == 2 ? kv[0] : p.getFileName().toString(), p);
            }
            configMaps.put(name, files);
        }
    }

    /** The container's env: values, field references; ConfigMap/Secret references must resolve (or be optional). */
    private static Map<String, String> k8sEnv(
            final JsonNode c,
            final Map<String, Map<String, Path>> configMaps,
            final List<Doc> docs,
            final String where) {
        final Map<String, String> env = new HashMap<>();
        for (final JsonNode e : c.path("env")) {
            final String name = e.path("name").asText();
            final JsonNode from = e.path("valueFrom");
            if (from.isMissingNode()) {
                env.put(name, k8sExpand(e.path("value").asText(), env, where));
            } else if (from.has("fieldRef")) {
                env.put(name, "x-" + name.toLowerCase().replace('_', '-'));
            } else if (from.has("configMapKeyRef")) {
                final JsonNode ref = from.path("configMapKeyRef");
                assertTrue(
                        ref.path("optional").asBoolean(false)
                                || configMaps.containsKey(ref.path("name").asText())
                                        && configMaps
                                                .get(ref.path("name").asText())
                                                .containsKey(ref.path("key").asText()),
                        where + ": env " + name + " references a missing ConfigMap key");
                env.put(name, "");
            } else if (from.has("secretKeyRef")) {
                final JsonNode ref = from.path("secretKeyRef");
                assertTrue(
                        ref.path("optional").asBoolean(false)
                                || find(docs, "Secret", ref.path("name").asText()) != null,
                        where + ": env " + name + " references Secret "
                                + ref.path("name").asText() + ", which is not deployed here; make it optional");
                env.put(name, "");
            } else {
                fail(where + ": env " + name + ": unsupported valueFrom " + from);
            }
        }
        return env;
    }

    /** Kubernetes $(VAR) expansion; every variable must be defined earlier in the container's env. */
    private static String k8sExpand(final String s, final Map<String, String> env, final String where) {
        final Matcher m = K8S_VAR.matcher(s);
        final StringBuilder out = new StringBuilder();
        while (m.find()) {
            assertTrue(env.containsKey(m.group(1)), where + ": $(" + m.group(1) + ") is not defined in env");
            m.appendReplacement(out, Matcher.quoteReplacement(env.get(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String rawSet(final JsonNode c, final String key) {
        final List<String> args = strings(c.path("args"), s -> s);
        for (int i = 0; i < args.size() - 1; i++) {
            if (args.get(i).equals("--set") && args.get(i + 1).startsWith(key + "=")) {
                return args.get(i + 1).substring(key.length() + 1);
            }
        }
        return null;
    }

    private static String fieldRef(final JsonNode c, final String env) {
        return stream(c.path("env"))
                .filter(e -> e.path("name").asText().equals(env))
                .map(e -> e.path("valueFrom").path("fieldRef").path("fieldPath").asText())
                .findFirst()
                .orElse(null);
    }

    /** The pod templates of the workloads a Service selects. */
    private static List<JsonNode> selected(final Doc service, final Iterable<Doc> workloads) {
        final JsonNode sel = service.node().path("spec").path("selector");
        final List<JsonNode> pods = new ArrayList<>();
        for (final Doc w : workloads) {
            final JsonNode pod = w.node().path("spec").path("template");
            final JsonNode labels = pod.path("metadata").path("labels");
            boolean all = sel.size() > 0;
            for (final Iterator<Map.Entry<String, JsonNode>> it = sel.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> e = it.next();
                all &= e.getValue().asText().equals(labels.path(e.getKey()).asText(null));
            }
            if (all) {
                pods.add(pod);
            }
        }
        return pods;
    }

    /** A port (number or container port name) of a pod template, or -1. */
    private static int containerPort(final JsonNode pod, final JsonNode port) {
        for (final JsonNode c : pod.path("spec").path("containers")) {
            for (final JsonNode p : c.path("ports")) {
                if (port.isInt()
                        ? p.path("containerPort").asInt() == port.asInt()
                        : p.path("name").asText().equals(port.asText())) {
                    return p.path("containerPort").asInt();
                }
            }
        }
        return -1;
    }

    private static long retention(final Map<String, Topic> topics, final String name) {
        final Topic t = topics.get(name);
        assertNotNull(t, "no topic " + name);
        return Long.parseLong(t.configs().get("retention.ms"));
    }

    // ---------------------------------------------------------------------------------------------
    // Shared.

    record Topic(String name, int partitions, Map<String, String> configs) {}

    record Doc(String file, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return file + " " + kind() + "/" + name();
        }
    }

    /** Every topic the app reads or writes exists, and accepts the largest record the app writes. */
    private static void checkTopics(final Invocation inv, final Map<String, Topic> topics, final String where) {
        final Set<String> used = new HashSet<>(inv.outputs().keySet());
        if (inv.inputTopic() != null) {
            used.add(inv.inputTopic());
        }
        for (final String t : used) {
            assertTrue(topics.containsKey(t), where + ": topic '" + t + "' is not created");
            assertTrue(topics.get(t).partitions() >= 1, where + ": topic " + t + " partitions");
        }
        inv.outputs().forEach((t, max) -> {
            final String mmb = topics.get(t).configs().get("max.message.bytes");
            assertNotNull(mmb, where + ": topic " + t + " has no max.message.bytes (the default 1 MB is too small)");
            assertTrue(
                    Long.parseLong(mmb) >= max,
                    where + ": topic " + t + " max.message.bytes " + mmb + " is below the " + max + " bytes "
                            + inv.app().command + " may send");
        });
    }

    /** Parses a {@code scissor <command> ...} argument list as the CLI does. */
    private static Invocation invocation(
            final List<String> args, final String where, final java.util.function.Function<String, Path> files) {
        assertFalse(args.isEmpty(), where + ": no command");
        final App app = App.of(args.get(0), where);
        final Map<String, Object> fromFile = new LinkedHashMap<>();
        final Map<String, Object> overrides = new LinkedHashMap<>();
        final List<String> sources = new ArrayList<>();
        final List<String> ids = new ArrayList<>();
        Path configFile = null;
        for (int i = 1; i < args.size(); i++) {
            final String a = args.get(i);
            final boolean last = i + 1 >= args.size();
            final Set<String> flags = switch (app) {
                case CAPTURE -> Set.of("--create-topics", "--fast");
                case ENCODER -> Set.of("--create-topics", "--at-least-once");
                default -> Set.of("--create-topics");
            };
            if (flags.contains(a)) {
                if (a.equals("--at-least-once")) {
                    overrides.put("scissor.encoder.exactly.once", "false");
                } else if (a.equals("--fast")) {
                    overrides.put("scissor.capture.realtime", "false");
                }
                continue;
            }
            assertFalse(last, where + ": option " + a + " needs a value");
            final String v = args.get(++i);
            final String key = optionKey(app, a);
            switch (a) {
                case "--config" -> {
                    configFile = files.apply(v);
                    assertNotNull(configFile, where + ": --config " + v + " is not a mounted deploy/config file");
                    try {
                        fromFile.putAll(loadProperties(configFile));
                    } catch (final IOException e) {
                        fail(where + ": cannot read " + configFile + ": " + e);
                    }
                }
                case "--set" -> {
                    final int eq = v.indexOf('=');
                    assertTrue(eq > 0, where + ": --set takes KEY=VALUE, got " + v);
                    overrides.put(
                            v.substring(0, eq).strip(), v.substring(eq + 1).strip());
                }
                case "--source" -> sources.add(v);
                case "--stream-id" -> ids.add(v);
                default -> {
                    assertNotNull(key, where + ": '" + a + "' is not an option of scissor " + app.command);
                    if (!key.isEmpty()) {
                        overrides.put(key, v);
                    }
                }
            }
        }
        final Map<String, Object> settings = new LinkedHashMap<>(fromFile);
        settings.putAll(overrides);
        assertTrue(settings.containsKey("bootstrap.servers"), where + ": no --bootstrap");
        if (app == App.CAPTURE) {
            assertFalse(sources.isEmpty(), where + ": capture needs a --source");
            assertEquals(sources.size(), ids.size(), where + ": one --stream-id per --source");
            sources.forEach(s -> assertFalse(s.isBlank(), where + ": empty --source"));
        }
        return new Invocation(app, where, settings, sources, ids, configFile);
    }

    /** The key an option sets ("" = no key, null = unknown option). */
    private static String optionKey(final App app, final String option) {
        final Map<String, String> common = Map.of(
                "--bootstrap",
                "bootstrap.servers",
                "--config",
                "",
                "--set",
                "",
                "--partitions",
                "",
                "--replication",
                "",
                "--run-for",
                "");
        if (common.containsKey(option)) {
            return common.get(option);
        }
        final Map<String, String> own = switch (app) {
            case COMPRESSOR -> Map.of("--application-id", "application.id", "--state-dir", "state.dir");
            case ENCODER ->
                Map.of(
                        "--model",
                        "scissor.encoder.model",
                        "--device",
                        "scissor.encoder.device",
                        "--threads",
                        "scissor.encoder.threads",
                        "--batch",
                        "scissor.encoder.batch.max",
                        "--linger-ms",
                        "scissor.encoder.batch.linger.ms",
                        "--workers",
                        "",
                        "--group",
                        "group.id",
                        "--instance-id",
                        "scissor.encoder.instance.id");
            case CAPTURE ->
                Map.of(
                        "--source",
                        "",
                        "--stream-id",
                        "",
                        "--source-option",
                        "",
                        "--fps",
                        "scissor.capture.fps",
                        "--quality",
                        "scissor.capture.jpeg.qscale",
                        "--decoder-threads",
                        "scissor.capture.decoder.threads",
                        "--first-sequence",
                        "scissor.capture.first.sequence",
                        "--max-size",
                        "");
            case SERVE -> Map.of();
        };
        return own.get(option);
    }

    private static List<URI> urls(final Invocation serve) {
        final Object v = serve.parsed().get("scissor.serve.compressor.urls");
        final List<?> list =
                v instanceof List<?> l ? l : List.of(String.valueOf(v).split(","));
        assertFalse(list.isEmpty(), serve.where() + ": no compressor URLs");
        return list.stream().map(o -> URI.create(o.toString().strip())).toList();
    }

    private static boolean under(final String dir, final String mount) {
        final String m = mount.endsWith("/") ? mount : mount + "/";
        return dir.equals(mount) || dir.startsWith(m);
    }

    private static Doc find(final List<Doc> docs, final String kind, final String name) {
        return docs.stream()
                .filter(d -> d.kind().equals(kind) && d.name().equals(name))
                .findFirst()
                .orElse(null);
    }

    private static Stream<JsonNode> stream(final JsonNode array) {
        final List<JsonNode> l = new ArrayList<>();
        array.forEach(l::add);
        return l.stream();
    }

    private static List<String> strings(final JsonNode node, final UnaryOperator<String> f) {
        final List<String> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(f.apply(n.asText())));
        } else if (node.isTextual()) {
            out.add(f.apply(node.asText()));
        }
        return out;
    }

    private static Set<String> names(final JsonNode node) {
        final Set<String> out = new HashSet<>();
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(out::add);
        } else if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static List<JsonNode> yamlDocs(final Path file) throws IOException {
        final List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
            while (it.hasNext()) {
                final JsonNode d = it.next();
                if (d != null && !d.isNull() && !d.isMissingNode()) {
                    docs.add(d);
                }
            }
        }
        return docs;
    }

    private static JsonNode single(final Path file) throws IOException {
        final List<JsonNode> docs = yamlDocs(file);
        assertEquals(1, docs.size(), rel(file) + ": one YAML document expected");
        return docs.get(0);
    }

    private static Map<String, String> loadProperties(final Path file) throws IOException {
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        final Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** Dockerfile instructions as [KEYWORD, arguments], continuation lines joined, comments dropped. */
    private static List<String[]> dockerInstructions(final Path file) throws IOException {
        final List<String[]> out = new ArrayList<>();
        final StringBuilder cur = new StringBuilder();
        for (final String line : Files.readAllLines(file)) {
            final String t = line.strip();
            if (t.startsWith("#") || (t.isEmpty() && cur.length() == 0)) {
                continue;
            }
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            cur.append(t);
            final String ins = cur.toString().strip();
            cur.setLength(0);
            if (ins.isEmpty()) {
                continue;
            }
            final String[] kv = ins.split("\\s+", 2);
            final String op = kv[0].toUpperCase();
            assertTrue(
                    Set.of(
                                    "FROM",
                                    "ARG",
                                    "RUN",
                                    "COPY",
                                    "ADD",
                                    "ENV",
                                    "USER",
                                    "WORKDIR",
                                    "ENTRYPOINT",
                                    "CMD",
                                    "EXPOSE",
                                    "LABEL",
                                    "VOLUME",
                                    "HEALTHCHECK",
                                    "SHELL",
                                    "STOPSIGNAL",
                                    "ONBUILD")
                            .contains(op),
                    rel(file) + ": unknown instruction " + kv[0]);
            out.add(new String[] {op, kv.length > 1 ? kv[1] : ""});
        }
        assertEquals(0, cur.length(), rel(file) + ": ends inside a continued line");
        return out;
    }

    private static String rel(final Path p) {
        return ROOT.relativize(p.toAbsolutePath().normalize()).toString();
    }

    /** The repository root: the nearest directory at or above the working directory holding deploy/ and pom.xml. */
    private static Path repoRoot() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "no directory with deploy/ and pom.xml at or above " + System.getProperty("user.dir"));
    }
}
