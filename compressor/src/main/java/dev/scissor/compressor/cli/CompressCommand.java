package dev.scissor.compressor.cli;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code scissor compress}: compresses a token dump ({@code .npy}, [T, N, D] video or [N, D] frame).
 *
 * <pre>
 * scissor compress --tokens IN.npy --out OUT.npy [--tau 0.9] [--epsilon 0.05]
 *                  [--budget K | --retention R] [--labels LABELS.npy] [--stats STATS.json]
 *                  [--seed S] [--allow-any-tau] [--mode classic|refined]
 * </pre>
 *
 * <p>{@code --mode refined} (ScissorParams.Mode.REFINED) needs {@code --budget} or
 * {@code --retention} and a video; the default {@code classic} is the paper's SCC.
 *
 * <p>Exit codes: 0 success, 2 bad input or arguments (one line on stderr naming the problem; no
 * output file is written).
 */
public final class CompressCommand {

    /** Exit code for bad input or usage. */
    public static final int BAD_INPUT = 2;

    static final String USAGE = "usage: scissor compress --tokens IN.npy --out OUT.npy [--tau 0.9] [--epsilon 0.05]"
            + " [--budget K | --retention R] [--labels LABELS.npy] [--stats STATS.json] [--seed S] [--allow-any-tau]"
            + " [--mode classic|refined]";

    private CompressCommand() {
    }

    /** Thrown for a problem the user can fix; its message is the one-line error. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(final String message) {
            super(message);
        }
    }

    /**
     * Runs the command.
     *
     * @param args arguments after {@code compress}
     * @param out standard output (a one-line summary)
     * @param err standard error (the error line)
     * @return the exit code
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        try {
            return execute(args, out);
        } catch (final UsageException e) {
            err.println("scissor compress: " + e.getMessage());
            return BAD_INPUT;
        } catch (final IOException | IllegalArgumentException | ArithmeticException e) {
            // IllegalArgumentException: limits the compressor enforces (e.g. window size, budget-mode S).
            err.println("scissor compress: " + e.getMessage());
            return BAD_INPUT;
        }
    }

    private static int execute(final String[] args, final PrintStream out) throws UsageException, IOException {
        String in = null;
        String outPath = null;
        String labelsPath = null;
        String statsPath = null;
        double tau = ScissorParams.DEFAULT_TAU;
        double epsilon = ScissorParams.DEFAULT_EPSILON;
        Integer budget = null;
        Double retention = null;
        long seed = ScissorParams.DEFAULT_SEED;
        boolean anyTau = false;
        ScissorParams.Mode mode = ScissorParams.Mode.CLASSIC;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            switch (a) {
                case "--tokens" -> in = value(args, ++i, a);
                case "--out" -> outPath = value(args, ++i, a);
                case "--labels" -> labelsPath = value(args, ++i, a);
                case "--stats" -> statsPath = value(args, ++i, a);
                case "--tau" -> tau = number(value(args, ++i, a), a);
                case "--epsilon" -> epsilon = number(value(args, ++i, a), a);
                case "--budget" -> budget = integer(value(args, ++i, a), a);
                case "--retention" -> retention = number(value(args, ++i, a), a);
                case "--seed" -> seed = longValue(value(args, ++i, a), a);
                case "--allow-any-tau" -> anyTau = true;
                case "--mode" -> mode = mode(value(args, ++i, a));
                case "-h", "--help" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> throw new UsageException("unknown argument '" + a + "'; " + USAGE);
            }
        }
        if (in == null || outPath == null) {
            throw new UsageException("--tokens and --out are required; " + USAGE);
        }
        if (budget != null && retention != null) {
            throw new UsageException("give either --budget or --retention, not both");
        }
        final ScissorParams params;
        try {
            ScissorParams p = new ScissorParams(tau, epsilon, null, seed, anyTau);
            if (budget != null) {
                p = p.withBudget(ScissorParams.Budget.tokens(budget));
            } else if (retention != null) {
                p = p.withBudget(ScissorParams.Budget.retention(retention));
            }
            if (mode == ScissorParams.Mode.REFINED && p.budget() == null) {
                throw new UsageException("--mode refined needs --budget K or --retention R");
            }
            params = p.withMode(mode);
        } catch (final IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }

        final Path inFile = Paths.get(in);
        if (!Files.isReadable(inFile)) {
            throw new UsageException("cannot read --tokens file " + in);
        }
        final NpyArray array;
        try {
            array = Npy.read(inFile);
        } catch (final IOException | ArithmeticException e) {
            throw new UsageException("cannot read " + in + ": " + e.getMessage());
        }
        if (array.dtype() != NpyArray.Dtype.FLOAT32 && array.dtype() != NpyArray.Dtype.FLOAT64) {
            throw new UsageException(in + " has dtype " + array.dtype().descr() + "; expected float32 or float64");
        }
        final int[] shape = array.shape();
        if (shape.length != 2 && shape.length != 3) {
            throw new UsageException(in + " has shape " + Arrays.toString(shape)
                    + "; expected [T, N, D] (video) or [N, D] (one frame)");
        }
        for (final int s : shape) {
            if (s == 0) {
                throw new UsageException(in + " is empty: shape " + Arrays.toString(shape));
            }
        }
        if (shape.length == 2 && params.budget() != null) {
            throw new UsageException("--budget and --retention apply to a video [T, N, D]; " + in
                    + " is one frame " + Arrays.toString(shape) + " (spatial step only)");
        }
        final float[] tokens = array.toFloats();
        for (int i = 0; i < tokens.length; i++) {
            if (!Float.isFinite(tokens[i])) {
                throw new UsageException(in + " has a non-finite value (NaN or Inf) at flat index " + i);
            }
        }
        checkWritable(outPath, "--out");
        if (labelsPath != null) {
            checkWritable(labelsPath, "--labels");
        }
        if (statsPath != null) {
            checkWritable(statsPath, "--stats");
        }

        final long started = System.nanoTime();
        final boolean video = shape.length == 3;
        final int frames = video ? shape[0] : 1;
        final int n = shape[shape.length - 2];
        final int d = shape[shape.length - 1];
        final float[] outTokens;
        final int[] labels;
        final int[] spatialCounts;
        final int m;
        if (video) {
            final WindowResult r = Scissor.compress(tokens, frames, n, d, params,
                    SampleOrders.seeded(params.seed()));
            outTokens = r.tokens();
            labels = r.spatialLabels();
            spatialCounts = r.spatialCounts();
            m = r.tokenCount();
        } else {
            final Scissor.SpatialResult r = Scissor.spatial(tokens, n, d, params, SampleOrders.seeded(params.seed()));
            outTokens = r.tokens();
            labels = r.labels();
            spatialCounts = new int[] {r.count()};
            m = r.count();
        }
        final long millis = (System.nanoTime() - started) / 1_000_000L;

        Npy.writeFloats(Paths.get(outPath), outTokens, m, d);
        if (labelsPath != null) {
            if (video) {
                Npy.writeInts(Paths.get(labelsPath), labels, frames, n);
            } else {
                Npy.writeInts(Paths.get(labelsPath), labels, n);
            }
        }
        if (statsPath != null) {
            writeAtomically(Paths.get(statsPath), stats(params, video, frames, n, d, spatialCounts, m, millis));
        }
        out.printf(Locale.ROOT, "%d tokens -> %d tokens (%.2f%%) in %d ms%n", (long) frames * n, m,
                100.0 * m / ((double) frames * n), millis);
        return 0;
    }

    private static String stats(final ScissorParams p, final boolean video, final int frames, final int n, final int d,
                                final int[] spatialCounts, final int m, final long millis) {
        final StringBuilder s = new StringBuilder("{\n");
        int spatial = 0;
        for (final int c : spatialCounts) {
            spatial += c;
        }
        final long in = (long) frames * n;
        s.append("  \"tokens_in\": ").append(in).append(",\n");
        s.append("  \"tokens_out\": ").append(m).append(",\n");
        s.append("  \"spatial_tokens_per_frame\": ").append(Arrays.toString(spatialCounts)).append(",\n");
        s.append("  \"spatial_tokens\": ").append(spatial).append(",\n");
        s.append("  \"frames\": ").append(video ? String.valueOf(frames) : "null").append(",\n");
        s.append("  \"tokens_per_frame\": ").append(n).append(",\n");
        s.append("  \"dim\": ").append(d).append(",\n");
        s.append("  \"retention\": ").append(String.format(Locale.ROOT, "%.6f", (double) m / in)).append(",\n");
        s.append("  \"tau\": ").append(p.tau()).append(",\n");
        s.append("  \"epsilon\": ").append(p.epsilon()).append(",\n");
        s.append("  \"budget\": ").append(p.budget() == null || !video ? "null"
                : String.valueOf(p.budget().tokensFor(in))).append(",\n");
        s.append("  \"retention_target\": ").append(p.budget() == null || p.budget().retention() == 0 ? "null"
                : String.valueOf(p.budget().retention())).append(",\n");
        s.append("  \"seed\": ").append(p.seed()).append(",\n");
        s.append("  \"mode\": \"").append(p.mode().name().toLowerCase(Locale.ROOT)).append("\",\n");
        s.append("  \"blas\": \"").append(Scissor.blasImplementation()).append("\",\n");
        s.append("  \"millis\": ").append(millis).append("\n}\n");
        return s.toString();
    }

    private static void writeAtomically(final Path file, final String text) throws IOException {
        final Path dir = file.toAbsolutePath().getParent();
        final Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void checkWritable(final String path, final String flag) throws UsageException {
        final Path p = Paths.get(path).toAbsolutePath();
        final Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new UsageException("cannot write " + flag + " " + path + ": directory " + dir + " does not exist or is not writable");
        }
        if (Files.isDirectory(p)) {
            throw new UsageException(flag + " " + path + " is a directory");
        }
    }

    private static String value(final String[] args, final int i, final String flag) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    private static double number(final String v, final String flag) throws UsageException {
        try {
            final double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (final NumberFormatException e) {
            throw new UsageException(flag + " must be a finite number, got '" + v + "'");
        }
    }

    private static ScissorParams.Mode mode(final String v) throws UsageException {
        try {
            return ScissorParams.Mode.parse(v);
        } catch (final IllegalArgumentException e) {
            throw new UsageException("--mode must be classic or refined, got '" + v + "'");
        }
    }

    private static int integer(final String v, final String flag) throws UsageException {
        try {
            return Integer.parseInt(v);
        } catch (final NumberFormatException e) {
            throw new UsageException(flag + " must be an integer, got '" + v + "'");
        }
    }

    private static long longValue(final String v, final String flag) throws UsageException {
        try {
            return Long.parseLong(v);
        } catch (final NumberFormatException e) {
            throw new UsageException(flag + " must be an integer, got '" + v + "'");
        }
    }
}
