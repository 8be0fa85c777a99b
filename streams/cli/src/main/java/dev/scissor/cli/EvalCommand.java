package dev.scissor.cli;

import dev.scissor.cli.eval.FindTask;
import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.eval.Evaluation;
import dev.scissor.compressor.eval.Methods;
import dev.scissor.compressor.io.Npy;
import dev.scissor.compressor.io.NpyArray;
import dev.scissor.encoder.capture.CaptureOptions;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scissor eval}: LLaVA-Scissor against the token-only baselines at matched token counts, on a
 * token dump or a video encoded with the default encoder; writes a CSV, a table and a
 * rate-distortion chart.
 */
@Command(
        name = "eval",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "LLaVA-Scissor vs pooling, random, L2 norm, ToMe, ... at matched token counts",
            "",
            "Reduces every window to K = round(r * T * N) tokens with each method and scores the kept tokens "
                    + "against all original tokens (cosine distance to the nearest kept token: mean, share >= 0.9, "
                    + "worst; drift of merged tokens from the nearest original; median ms per window). Writes eval.csv, a "
                    + "table and a rate-distortion chart, eval.png.",
            ""
        },
        footer = {"", "example: scissor eval --video /opt/opencv-clip/vtest.avi --out eval-vtest"})
final class EvalCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Option(
            names = "--tokens",
            paramLabel = "FILE",
            description = "tokens .npy, [T,N,D] (one window if T <= --window) or [F,N,D] (F/T windows)")
    private Path tokensFile;

    @Option(names = "--video", paramLabel = "FILE", description = "encode a video at 2 fps first (saved as tokens.npy)")
    private Path video;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            description =
                    "the encoder for --video: a built-in one (mnv2-nsfwjs, the default; mnv2-nsfwjs-136, mnv3-centernet) or an exported model directory")
    private String model = "mnv2-nsfwjs";

    @Option(names = "--window", paramLabel = "T", description = "frames per window (default 16)")
    private int window = 16;

    @Option(
            names = "--retention",
            paramLabel = "R",
            split = ",",
            converter = CommandLines.FiniteDouble.class,
            description = "retentions, comma-separated (default 0.05,0.1,0.2,0.35)")
    private double[] retentions = {0.05, 0.1, 0.2, 0.35};

    @Option(
            names = "--methods",
            paramLabel = "NAME",
            split = ",",
            description = "methods, comma-separated (default: all of ${DEFAULT-VALUE})")
    private List<String> methods = Methods.ALL;

    @Option(names = "--seed", paramLabel = "S", description = "seed of the random methods (default 0)")
    private long seed;

    @Option(names = "--max-windows", paramLabel = "W", description = "evaluate at most W windows (default all)")
    private int maxWindows = Integer.MAX_VALUE;

    @Option(names = "--out", paramLabel = "DIR", description = "where eval.csv and eval.png go (default eval-out)")
    private Path outDir = Path.of("eval-out");

    @Option(
            names = "--task",
            paramLabel = "find",
            description = "also score query by example (/v1/find) on crops of what moves (needs --video)")
    private String task;

    /** How --video is decoded (the encoding and the find task's frames): as the capture stage does. */
    private static final CaptureOptions CAPTURE = CaptureOptions.DEFAULT.withRealtime(false);

    private final PrintStream out;
    private final PrintStream err;

    EvalCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new EvalCommand(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if ((tokensFile == null) == (video == null)) {
            throw CommandLines.usage(spec.commandLine(), "give exactly one of --tokens and --video");
        }
        if (task != null && !"find".equals(task)) {
            throw CommandLines.usage(spec.commandLine(), "--task takes find, got '%s'", task);
        }
        final boolean find = task != null;
        if (find && video == null) {
            throw CommandLines.usage(
                    spec.commandLine(), "--task find needs --video (the queries are crops of its frames)");
        }
        if (window < 1 || maxWindows < 1) {
            throw CommandLines.usage(spec.commandLine(), "--window and --max-windows must be positive");
        }
        for (final double r : retentions) {
            if (!(r > 0 && r <= 1)) {
                throw CommandLines.usage(spec.commandLine(), "--retention must lie in (0, 1], got %s", r);
            }
        }
        try {
            Methods.byNames(methods, seed);
        } catch (final IllegalArgumentException e) {
            throw CommandLines.usage(spec.commandLine(), "--methods: %s", e.getMessage());
        }
        try {
            Files.createDirectories(outDir);
            final Path npy;
            if (video != null) {
                npy = outDir.resolve("tokens.npy");
                encode(video, model, npy, out);
            } else {
                npy = tokensFile;
            }
            final NpyArray arr = Npy.read(npy);
            final int[] s = arr.shape();
            if (s.length != 3) {
                throw new IllegalArgumentException("expected [T,N,D] tokens, got shape " + Arrays.toString(s));
            }
            final float[] data = arr.toFloats();
            final int frames = s[0];
            final int t = Math.min(window, frames);
            List<float[]> windows = Evaluation.windows(data, frames, t, s[1] * s[2]);
            if (windows.size() > maxWindows) {
                windows = windows.subList(0, maxWindows);
            }
            out.printf(
                    Locale.ROOT,
                    "scissor eval: %s, %d frames of %d x %d tokens -> %d window%s of %d frames%n",
                    npy.getFileName(),
                    frames,
                    s[1],
                    s[2],
                    windows.size(),
                    windows.size() == 1 ? "" : "s",
                    t);
            final FindTask findTask = find
                    ? FindTask.prepare(video, CAPTURE, EncoderModelDescriptor.resolve(model), windows, t, s[1], s[2])
                    : null;
            final List<Evaluation.Row> rows = Evaluation.run(
                    Methods.byNames(methods, seed),
                    windows,
                    t,
                    s[1],
                    s[2],
                    retentions,
                    findTask == null ? (mi, ri, wi, kept) -> {} : findTask);
            out.print(Evaluation.table(rows));
            final List<FindTask.Row> found = findTask == null ? null : findTask.results(rows, retentions);
            if (found != null) {
                out.print(FindTask.table(found));
            }
            final Path csv = outDir.resolve("eval.csv");
            Files.writeString(
                    csv,
                    found == null ? Evaluation.csv(rows) : FindTask.csv(Evaluation.csv(rows), found),
                    StandardCharsets.UTF_8);
            final Path png = outDir.resolve("eval.png");
            chart(rows, png, npy.getFileName() + ", " + windows.size() + " x " + t + " frames x " + s[1] + " tokens");
            if (found != null) {
                FindTask.appendChart(png, found);
            }
            out.println("wrote " + csv + " and " + png);
            return 0;
        } catch (final IllegalArgumentException e) {
            err.println("scissor eval: " + e.getMessage());
            return 2;
        } catch (final Exception e) {
            err.println("scissor eval: " + e);
            return 1;
        }
    }

    /** Encodes a video at 2 fps, as the capture stage samples and scales it, into [F, N, D] tokens. */
    private static void encode(final Path video, final String model, final Path dst, final PrintStream out)
            throws Exception {
        final TokenEncoding.Tokens t = new TokenEncoding(model, out).video(video, CAPTURE);
        Npy.writeFloats(dst, t.values(), t.frames(), t.tokens(), t.dim());
    }

    private static final Color[] PALETTE = {
        new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C), new Color(0x7F7F7F), new Color(0x9467BD),
        new Color(0xFF7F0E), new Color(0x8C564B), new Color(0xE377C2), new Color(0x17BECF), new Color(0xBCBD22)
    };

    /** x = retention, y = mean cosine distance, one line per method, legend at the right. */
    static void chart(final List<Evaluation.Row> rows, final Path png, final String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true");
        final Map<String, List<Evaluation.Row>> byMethod = new LinkedHashMap<>();
        double maxX = 0;
        double maxY = 0;
        for (final Evaluation.Row r : rows) {
            byMethod.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
            maxX = Math.max(maxX, r.tokens() / (r.target() / r.retention()));
            maxY = Math.max(maxY, r.meanDistance());
        }
        maxX = niceCeil(maxX * 1.05);
        maxY = niceCeil(maxY * 1.1);
        final int w = 1100;
        final int h = 700;
        final int left = 90;
        final int right = 250;
        final int top = 70;
        final int bottom = 70;
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        final int pw = w - left - right;
        final int ph = h - top - bottom;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString("Rate-distortion: mean cosine distance to the nearest kept token", left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(subtitle + "  (lower is better)", left, 52);
        for (int i = 0; i <= 5; i++) {
            final double xv = maxX * i / 5;
            final double yv = maxY * i / 5;
            final int x = left + pw * i / 5;
            final int y = top + ph - ph * i / 5;
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(x, top, x, top + ph);
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.0f%%", 100 * xv), x - 12, top + ph + 20);
            g.drawString(String.format(Locale.ROOT, "%.3f", yv), left - 50, y + 5);
        }
        g.drawRect(left, top, pw, ph);
        g.drawString("retention (kept tokens / input tokens)", left + pw / 2 - 110, h - 20);
        g.rotate(-Math.PI / 2);
        g.drawString("mean cosine distance", -(top + ph / 2 + 60), 25);
        g.rotate(Math.PI / 2);
        int c = 0;
        for (final Map.Entry<String, List<Evaluation.Row>> e : byMethod.entrySet()) {
            final Color col = PALETTE[c % PALETTE.length];
            final boolean dashed = c >= PALETTE.length;
            g.setColor(col);
            g.setStroke(
                    e.getKey().startsWith("scissor")
                            ? new BasicStroke(3.5f)
                            : dashed
                                    ? new BasicStroke(
                                            2f,
                                            BasicStroke.CAP_BUTT,
                                            BasicStroke.JOIN_MITER,
                                            10f,
                                            new float[] {8f, 5f},
                                            0f)
                                    : new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (final Evaluation.Row r : e.getValue()) {
                final double xv = r.tokens() / (r.target() / r.retention());
                final int x = left + (int) Math.round(pw * xv / maxX);
                final int y = top + ph - (int) Math.round(ph * r.meanDistance() / maxY);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 4, y - 4, 9, 9);
                px = x;
                py = y;
            }
            final int ly = top + 10 + 26 * c;
            g.drawLine(left + pw + 20, ly, left + pw + 55, ly);
            g.fillOval(left + pw + 33, ly - 4, 9, 9);
            g.setColor(Color.BLACK);
            g.drawString(
                    e.getKey() + " (" + e.getValue().get(0).kind().name().toLowerCase(Locale.ROOT) + ")",
                    left + pw + 65,
                    ly + 5);
            c++;
        }
        g.setStroke(new BasicStroke(1f));
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static double niceCeil(final double v) {
        if (v <= 0) {
            return 1;
        }
        final double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (final double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
