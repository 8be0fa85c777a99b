package dev.scissor.compressor.cli;

import dev.scissor.compressor.SampleOrders;
import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.ScissorParams;
import dev.scissor.compressor.WindowResult;
import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

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
@Command(
        name = "compress",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "compress a token dump (.npy [T,N,D] or [N,D]) with LLaVA-Scissor",
            "",
            "Writes the kept tokens [M, D] to --out and prints one line: tokens in -> tokens out in ms. A video "
                    + "[T, N, D] gets the spatial, temporal and merge steps; one frame [N, D] the spatial step only. "
                    + "Bad input or arguments exit with 2 and one line on stderr; no output file is written then.",
            ""
        })
public final class CompressCommand implements Callable<Integer> {

    /** Exit code for bad input or usage. */
    public static final int BAD_INPUT = CommandLines.USAGE;

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Option(
            names = "--tokens",
            required = true,
            paramLabel = "IN.npy",
            description = "the tokens, float32 or float64: [T, N, D] (a video) or [N, D] (one frame)")
    private String in;

    @Option(names = "--out", required = true, paramLabel = "OUT.npy", description = "the kept tokens [M, D], float32")
    private String outPath;

    @Option(
            names = "--tau",
            paramLabel = "TAU",
            converter = CommandLines.FiniteDouble.class,
            description =
                    "similarity threshold of the components, in [-1, 1] (default " + ScissorParams.DEFAULT_TAU + ")")
    private double tau = ScissorParams.DEFAULT_TAU;

    @Option(
            names = "--epsilon",
            paramLabel = "EPS",
            converter = CommandLines.FiniteDouble.class,
            description = "sampling parameter of the components, in [0, 1]; 0 = exact (default "
                    + ScissorParams.DEFAULT_EPSILON + ")")
    private double epsilon = ScissorParams.DEFAULT_EPSILON;

    @Option(names = "--budget", paramLabel = "K", description = "keep exactly K tokens of a video")
    private Integer budget;

    @Option(
            names = "--retention",
            paramLabel = "R",
            converter = CommandLines.FiniteDouble.class,
            description = "keep round(R * T * N) tokens of a video, 0 < R <= 1")
    private Double retention;

    @Option(
            names = "--labels",
            paramLabel = "LABELS.npy",
            description = "also write each input token's spatial component, int32 [T, N] or [N]")
    private String labelsPath;

    @Option(names = "--stats", paramLabel = "STATS.json", description = "also write the counts, settings and time")
    private String statsPath;

    @Option(
            names = "--seed",
            paramLabel = "S",
            description = "seed of the sample orders (default " + ScissorParams.DEFAULT_SEED + ")")
    private long seed = ScissorParams.DEFAULT_SEED;

    @Option(names = "--allow-any-tau", description = "accept any finite --tau (outside [-1, 1])")
    private boolean anyTau;

    @Option(
            names = "--mode",
            paramLabel = "classic|refined",
            converter = ModeConverter.class,
            description = "classic: the paper's SCC (default); refined: needs --budget or --retention and a video")
    private ScissorParams.Mode mode = ScissorParams.Mode.CLASSIC;

    private final PrintStream out;

    /**
     * A command that reports to {@code out}.
     *
     * @param out standard output (the one-line summary)
     */
    public CompressCommand(final PrintStream out) {
        this.out = out;
    }

    /** Thrown for a problem the user can fix; its message is the one-line error. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(final String message) {
            super(message);
        }
    }

    /** {@code classic} or {@code refined}. */
    static final class ModeConverter implements ITypeConverter<ScissorParams.Mode> {
        @Override
        public ScissorParams.Mode convert(final String value) {
            try {
                return ScissorParams.Mode.parse(value);
            } catch (final IllegalArgumentException e) {
                throw new TypeConversionException("expected classic or refined, got '" + value + "'");
            }
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
        return CommandLines.execute(new CompressCommand(out), args, out, err);
    }

    @Override
    public Integer call() {
        final PrintWriter err = spec.commandLine().getErr();
        try {
            return execute();
        } catch (final UsageException | IOException | IllegalArgumentException | ArithmeticException e) {
            // IllegalArgumentException: limits the compressor enforces (e.g. window size, budget-mode S).
            err.println(spec.qualifiedName() + ": " + e.getMessage());
            return BAD_INPUT;
        }
    }

    private int execute() throws UsageException, IOException {
        if (budget != null && retention != null) {
            throw CommandLines.usage(spec.commandLine(), "give either --budget or --retention, not both");
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
                throw CommandLines.usage(spec.commandLine(), "--mode refined needs --budget K or --retention R");
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
            throw new UsageException(
                    in + " has shape " + Arrays.toString(shape) + "; expected [T, N, D] (video) or [N, D] (one frame)");
        }
        for (final int s : shape) {
            if (s == 0) {
                throw new UsageException(in + " is empty: shape " + Arrays.toString(shape));
            }
        }
        if (shape.length == 2 && params.budget() != null) {
            throw new UsageException("--budget and --retention apply to a video [T, N, D]; " + in + " is one frame "
                    + Arrays.toString(shape) + " (spatial step only)");
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
            final WindowResult r = Scissor.compress(tokens, frames, n, d, params, SampleOrders.seeded(params.seed()));
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
        out.printf(
                Locale.ROOT,
                "%d tokens -> %d tokens (%.2f%%) in %d ms%n",
                (long) frames * n,
                m,
                100.0 * m / ((double) frames * n),
                millis);
        return 0;
    }

    private static String stats(
            final ScissorParams p,
            final boolean video,
            final int frames,
            final int n,
            final int d,
            final int[] spatialCounts,
            final int m,
            final long millis) {
        final StringBuilder s = new StringBuilder("{\n");
        int spatial = 0;
        for (final int c : spatialCounts) {
            spatial += c;
        }
        final long in = (long) frames * n;
        s.append("  \"tokens_in\": ").append(in).append(",\n");
        s.append("  \"tokens_out\": ").append(m).append(",\n");
        s.append("  \"spatial_tokens_per_frame\": ")
                .append(Arrays.toString(spatialCounts))
                .append(",\n");
        s.append("  \"spatial_tokens\": ").append(spatial).append(",\n");
        s.append("  \"frames\": ")
                .append(video ? String.valueOf(frames) : "null")
                .append(",\n");
        s.append("  \"tokens_per_frame\": ").append(n).append(",\n");
        s.append("  \"dim\": ").append(d).append(",\n");
        s.append("  \"retention\": ")
                .append(String.format(Locale.ROOT, "%.6f", (double) m / in))
                .append(",\n");
        s.append("  \"tau\": ").append(p.tau()).append(",\n");
        s.append("  \"epsilon\": ").append(p.epsilon()).append(",\n");
        s.append("  \"budget\": ")
                .append(
                        p.budget() == null || !video
                                ? "null"
                                : String.valueOf(p.budget().tokensFor(in)))
                .append(",\n");
        s.append("  \"retention_target\": ")
                .append(
                        p.budget() == null || p.budget().retention() == 0
                                ? "null"
                                : String.valueOf(p.budget().retention()))
                .append(",\n");
        s.append("  \"seed\": ").append(p.seed()).append(",\n");
        s.append("  \"mode\": \"")
                .append(p.mode().name().toLowerCase(Locale.ROOT))
                .append("\",\n");
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
            throw new UsageException(
                    "cannot write " + flag + " " + path + ": directory " + dir + " does not exist or is not writable");
        }
        if (Files.isDirectory(p)) {
            throw new UsageException(flag + " " + path + " is a directory");
        }
    }
}
