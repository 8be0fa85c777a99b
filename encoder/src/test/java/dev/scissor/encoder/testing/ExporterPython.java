package dev.scissor.encoder.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python environment of the encoder exporter ({@code encoder/python}): the venv python named
 * by the system property {@value #PROPERTY} (the launcher passes the path printed by {@code
 * encoder/python/setup-venv.sh}), and a way to run the exporter's modules with it.
 */
public final class ExporterPython {

    /** System property holding the venv's python executable. */
    public static final String PROPERTY = "scissor.python";

    /** What a run printed and returned. */
    public record Run(int exitCode, String stdout, String stderr, long millis) {}

    private final Path python;
    private final Path sourceDir;

    private ExporterPython(final Path python, final Path sourceDir) {
        this.python = python;
        this.sourceDir = sourceDir;
    }

    /**
     * The exporter's python; skips the test when {@value #PROPERTY} is unset, or fails it with
     * {@code scissor.test.requireAssets=true}.
     *
     * @return the environment
     */
    public static ExporterPython require() {
        final String p = System.getProperty(PROPERTY, "").strip();
        TestAssets.assumeAsset(
                !p.isEmpty(),
                "the exporter's Python venv: run `py=$(encoder/python/" + "setup-venv.sh)` and pass -D" + PROPERTY
                        + "=$py (./scissor test does both)");
        final Path py = Path.of(p);
        if (!Files.isExecutable(py)) {
            fail("-D" + PROPERTY + "=" + p + " is not an executable python; run encoder/python/"
                    + "setup-venv.sh and pass the path it prints");
        }
        return new ExporterPython(py, sourceDir());
    }

    private static Path sourceDir() {
        final String root = System.getProperty("scissor.repo.root", "");
        final List<Path> candidates = new ArrayList<>();
        if (!root.isBlank()) {
            candidates.add(Path.of(root, "encoder", "python"));
        }
        candidates.add(Path.of("python").toAbsolutePath());
        candidates.add(Path.of("encoder", "python").toAbsolutePath());
        for (final Path c : candidates) {
            if (Files.isDirectory(c.resolve("scissor_export"))) {
                return c;
            }
        }
        throw new IllegalStateException("cannot find encoder/python/scissor_export from " + candidates);
    }

    /**
     * Runs {@code python -m module args...} with the exporter's sources on {@code PYTHONPATH}.
     *
     * @param timeoutSeconds how long it may take
     * @param module the module, e.g. {@code scissor_export}
     * @param args its arguments
     * @return exit code and output
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public Run run(final int timeoutSeconds, final String module, final String... args)
            throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(python.toString(), "-m", module));
        cmd.addAll(List.of(args));
        return exec(timeoutSeconds, cmd);
    }

    /**
     * Runs {@code python script args...} with the exporter's sources on {@code PYTHONPATH}, failing
     * the test on a non-zero exit code.
     *
     * @param timeoutSeconds how long it may take
     * @param script the script file
     * @param args its arguments
     * @return the run
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public Run runScriptOk(final int timeoutSeconds, final Path script, final String... args)
            throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString()));
        cmd.addAll(List.of(args));
        final Run r = exec(timeoutSeconds, cmd);
        if (r.exitCode() != 0) {
            fail(String.join(" ", cmd) + " exited " + r.exitCode() + ":\n" + r.stderr() + r.stdout());
        }
        return r;
    }

    private Run exec(final int timeoutSeconds, final List<String> cmd) throws IOException, InterruptedException {
        final Path out = Files.createTempFile("scissor-py", ".out");
        final Path err = Files.createTempFile("scissor-py", ".err");
        try {
            final ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("PYTHONPATH", sourceDir.toString());
            pb.environment().put("HF_HUB_OFFLINE", "1");
            pb.environment().put("PYTHONWARNINGS", "ignore");
            pb.environment().put("OMP_NUM_THREADS", "2");
            final long t0 = System.nanoTime();
            final Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
            }
            return new Run(
                    p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8),
                    (System.nanoTime() - t0) / 1_000_000);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Like {@link #run} but fails the test on a non-zero exit code, showing stderr.
     *
     * @param timeoutSeconds how long it may take
     * @param module the module
     * @param args its arguments
     * @return the run
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public Run runOk(final int timeoutSeconds, final String module, final String... args)
            throws IOException, InterruptedException {
        final Run r = run(timeoutSeconds, module, args);
        if (r.exitCode() != 0) {
            fail("python -m " + module + " " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.stderr());
        }
        return r;
    }
}
