package dev.scissor.cli.eval;

import dev.scissor.compressor.eval.Evaluation;
import dev.scissor.compressor.eval.Reduction;
import dev.scissor.encoder.capture.CaptureOptions;
import dev.scissor.encoder.capture.CapturedFrame;
import dev.scissor.encoder.capture.FfmpegFrameSource;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.media.Ffmpeg;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.serve.FindScorer;
import dev.scissor.serve.MotionCrops;
import dev.scissor.serve.QueryEncoder;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The {@code find} task of {@code scissor eval}: does query by example ({@code /v1/find}, scored by
 * {@link FindScorer}) still find the window a query comes from once the window is compressed?
 *
 * <p>Queries are made as {@code QaServiceIT} makes them: the per-pixel median grey level over all
 * frames is the clip's background; a query is the crop (the size of 160 x 240 on a 768 x 576 frame,
 * scaled to the clip's frame size) around the region of a frame that differs most from it, encoded
 * as JPEG and then by the default encoder at frame scale ({@link QueryEncoder#encodeAtFrameScale}).
 * Each window contributes {@value #QUERIES_PER_WINDOW} query frames, evenly spaced inside it. For
 * every method and retention the windows' kept tokens are ranked against each query; a query is a
 * top-1 (top-3) hit when its own window ranks first (in the first three). The uncompressed
 * windows (all T * N tokens) give the ceiling.
 *
 * <p>Use: {@link #prepare} before {@link Evaluation#run} (this object is its listener), then
 * {@link #results}. Holds the queries' tokens and one match matrix per method and retention; the
 * frames are dropped once the queries are encoded.
 */
public final class FindTask implements Evaluation.Listener {

    /** Query frames per window. */
    public static final int QUERIES_PER_WINDOW = 4;
    /** The method name of the ceiling: the uncompressed windows. */
    public static final String UNCOMPRESSED = "uncompressed";

    private final int windows;
    private final int dim;
    private final int queryTokens;
    private final float[][] queries;
    private final int[] queryWindow;
    private final Map<Long, double[][][]> matches = new LinkedHashMap<>();
    private final double[][][] ceiling;

    /**
     * One line of the task table.
     *
     * @param method method name (or {@value #UNCOMPRESSED})
     * @param retention retention asked for (1 for the ceiling)
     * @param queries number of queries
     * @param top1 share of queries whose window ranks first
     * @param top3 share of queries whose window ranks in the first three
     */
    public record Row(String method, double retention, int queries, double top1, double top3) {}

    private FindTask(
            final int windows, final int dim, final int queryTokens, final float[][] queries, final int[] queryWindow) {
        this.windows = windows;
        this.dim = dim;
        this.queryTokens = queryTokens;
        this.queries = queries;
        this.queryWindow = queryWindow;
        this.ceiling = new double[queries.length][queryTokens][windows];
    }

    /**
     * Decodes the video again (at the rate and size the tokens were encoded with), makes and encodes
     * the queries, and scores the uncompressed windows.
     *
     * @param video the clip the tokens came from
     * @param capture the capture options the tokens were encoded with
     * @param descriptor the encoder the tokens came from
     * @param windowList the uncompressed windows, each [T, N, D]
     * @param frames T
     * @param tokens N
     * @param tokenDim D
     * @return the task, ready to listen to {@link Evaluation#run}
     * @throws Exception when the clip cannot be decoded or the encoder fails
     */
    public static FindTask prepare(
            final Path video,
            final CaptureOptions capture,
            final EncoderModelDescriptor descriptor,
            final List<float[]> windowList,
            final int frames,
            final int tokens,
            final int tokenDim)
            throws Exception {
        Ffmpeg.init();
        final List<BufferedImage> images = new ArrayList<>();
        try (FfmpegFrameSource src = FfmpegFrameSource.open(SourceSpec.parse(video.toString()), capture)) {
            CapturedFrame f;
            while ((f = src.next()) != null) {
                images.add(image(f));
            }
        }
        final int nw = windowList.size();
        if (images.size() < nw * frames) {
            throw new IllegalArgumentException(
                    "the clip gave " + images.size() + " frames, the windows need " + nw * frames);
        }
        final byte[] background = medianBackground(images);
        final int[] offsets = new int[QUERIES_PER_WINDOW];
        for (int i = 0; i < QUERIES_PER_WINDOW; i++) {
            offsets[i] = (int) ((i + 0.5) * frames / QUERIES_PER_WINDOW);
        }
        final float[][] queries = new float[nw * QUERIES_PER_WINDOW][];
        final int[] queryWindow = new int[queries.length];
        final int width = images.get(0).getWidth();
        final int height = images.get(0).getHeight();
        try (QueryEncoder enc = new QueryEncoder(descriptor, 1 << 26)) {
            for (int w = 0; w < nw; w++) {
                for (int i = 0; i < QUERIES_PER_WINDOW; i++) {
                    final int q = w * QUERIES_PER_WINDOW + i;
                    queries[q] = FindScorer.normalizedRows(
                            enc.encodeAtFrameScale(
                                    cropWhatMoves(images.get(w * frames + offsets[i]), background), width, height),
                            tokens,
                            tokenDim);
                    queryWindow[q] = w;
                }
            }
        }
        final FindTask task = new FindTask(nw, tokenDim, tokens, queries, queryWindow);
        for (int w = 0; w < nw; w++) {
            for (int q = 0; q < queries.length; q++) {
                FindScorer.bestMatches(
                        queries[q], tokens, windowList.get(w), frames * tokens, tokenDim, task.ceiling[q], w);
            }
        }
        return task;
    }

    @Override
    public void kept(final int method, final int retention, final int window, final Reduction kept) {
        final double[][][] m = matches.computeIfAbsent(
                ((long) method << 32) | retention, key -> new double[queries.length][queryTokens][windows]);
        for (int q = 0; q < queries.length; q++) {
            FindScorer.bestMatches(queries[q], queryTokens, kept.tokens(), kept.count(), dim, m[q], window);
        }
    }

    /**
     * The task's results: the ceiling first, then one row per row of the evaluation, in its order.
     *
     * @param rows the evaluation's rows (methods outer, retentions inner)
     * @param retentions the retentions, in the order given to {@link Evaluation#run}
     * @return the rows of the task table
     */
    public List<Row> results(final List<Evaluation.Row> rows, final double[] retentions) {
        final List<Row> out = new ArrayList<>();
        out.add(row(UNCOMPRESSED, 1.0, ceiling));
        for (int i = 0; i < rows.size(); i++) {
            final int mi = i / retentions.length;
            final int ri = i % retentions.length;
            final double[][][] m = matches.get(((long) mi << 32) | ri);
            if (m == null) {
                throw new IllegalStateException("no reductions for row " + i);
            }
            out.add(row(rows.get(i).method(), rows.get(i).retention(), m));
        }
        return out;
    }

    private Row row(final String method, final double retention, final double[][][] m) {
        int top1 = 0;
        int top3 = 0;
        for (int q = 0; q < queries.length; q++) {
            final double[] score = FindScorer.scores(m[q], windows);
            final double own = score[queryWindow[q]];
            int better = 0;
            for (int w = 0; w < windows; w++) {
                // A tie with the own window counts against it (windows are in time order, no preference).
                if (w != queryWindow[q] && score[w] >= own) {
                    better++;
                }
            }
            top1 += better == 0 ? 1 : 0;
            top3 += better < 3 ? 1 : 0;
        }
        return new Row(
                method, retention, queries.length, (double) top1 / queries.length, (double) top3 / queries.length);
    }

    /** The rows as an aligned text table. */
    public static String table(final List<Row> rows) {
        final StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT, "%-15s %6s %7s %7s %7s%n", "find: method", "ret", "queries", "top-1", "top-3"));
        for (final Row r : rows) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-15s %5.1f%% %7d %6.1f%% %6.1f%%%n",
                    r.method(),
                    100 * r.retention(),
                    r.queries(),
                    100 * r.top1(),
                    100 * r.top3()));
        }
        return sb.toString();
    }

    /**
     * The evaluation's CSV with two more columns, {@code find_top1} and {@code find_top3}, and a last
     * line for the ceiling (kind {@code none}; the distortion columns empty).
     *
     * @param csv {@link Evaluation#csv} of the rows given to {@link #results}
     * @param rows the task's rows ({@link #results})
     * @return the joined CSV
     */
    public static String csv(final String csv, final List<Row> rows) {
        final String[] lines = csv.split("\n");
        if (lines.length != rows.size()) {
            throw new IllegalArgumentException(
                    "expected " + (rows.size() - 1) + " evaluation rows, got " + (lines.length - 1));
        }
        final StringBuilder sb = new StringBuilder(lines[0]).append(",find_top1,find_top3\n");
        for (int i = 1; i < lines.length; i++) {
            final Row r = rows.get(i);
            sb.append(lines[i]).append(String.format(Locale.ROOT, ",%.4f,%.4f%n", r.top1(), r.top3()));
        }
        final Row c = rows.get(0);
        sb.append(String.format(Locale.ROOT, "%s,none,1.0000,,,,,,,,%.4f,%.4f%n", c.method(), c.top1(), c.top3()));
        return sb.toString();
    }

    /**
     * Adds a panel under a chart: top-1 accuracy against retention, one line per method, the ceiling
     * as a dashed line.
     *
     * @param png the chart, rewritten in place
     * @param rows the task's rows
     * @throws IOException when the file cannot be read or written
     */
    public static void appendChart(final Path png, final List<Row> rows) throws IOException {
        System.setProperty("java.awt.headless", "true");
        final BufferedImage top = ImageIO.read(png.toFile());
        final int w = top.getWidth();
        final int ph = 300;
        final int h = top.getHeight() + ph + 90;
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.drawImage(top, 0, 0, null);
        final int left = 90;
        final int right = 250;
        final int y0 = top.getHeight() + 50;
        final int pw = w - left - right;
        double maxX = 0;
        final Map<String, List<Row>> byMethod = new LinkedHashMap<>();
        for (final Row r : rows.subList(1, rows.size())) {
            byMethod.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
            maxX = Math.max(maxX, r.retention());
        }
        maxX = Math.max(0.05, Math.ceil(maxX * 1.05 * 20) / 20);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString(
                "Query by example (/v1/find): top-1 accuracy, crops of what moves, "
                        + rows.get(0).queries() + " queries",
                left,
                y0 - 15);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i <= 5; i++) {
            final int x = left + pw * i / 5;
            final int y = y0 + ph - ph * i / 5;
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(x, y0, x, y0 + ph);
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.0f%%", 100 * maxX * i / 5), x - 12, y0 + ph + 20);
            g.drawString(String.format(Locale.ROOT, "%.0f%%", 20.0 * i), left - 45, y + 5);
        }
        g.drawRect(left, y0, pw, ph);
        final int ceilY = y0 + ph - (int) Math.round(ph * rows.get(0).top1());
        g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f));
        g.drawLine(left, ceilY, left + pw, ceilY);
        g.drawString(
                UNCOMPRESSED
                        + String.format(
                                Locale.ROOT, " %.0f%%", 100 * rows.get(0).top1()),
                left + pw + 20,
                y0 + 15);
        int c = 0;
        for (final Map.Entry<String, List<Row>> e : byMethod.entrySet()) {
            final Color col = PALETTE[c % PALETTE.length];
            g.setColor(col);
            g.setStroke(new BasicStroke(
                    e.getKey().startsWith("scissor") || e.getKey().equals("refined") ? 3.5f : 2f));
            int px = -1;
            int py = -1;
            for (final Row r : e.getValue()) {
                final int x = left + (int) Math.round(pw * r.retention() / maxX);
                final int y = y0 + ph - (int) Math.round(ph * r.top1());
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 4, y - 4, 9, 9);
                px = x;
                py = y;
            }
            final int ly = y0 + 40 + 24 * c;
            g.drawLine(left + pw + 20, ly, left + pw + 55, ly);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + pw + 65, ly + 5);
            c++;
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    /** The evaluation chart's colours, in its method order. */
    private static final Color[] PALETTE = {
        new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C), new Color(0x7F7F7F), new Color(0x9467BD),
        new Color(0xFF7F0E), new Color(0x8C564B), new Color(0xE377C2), new Color(0x17BECF), new Color(0xBCBD22)
    };

    private static BufferedImage image(final CapturedFrame f) {
        final int w = f.width();
        final int h = f.height();
        final byte[] bgr = f.bgr();
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        final int[] px = new int[w * h];
        for (int p = 0; p < w * h; p++) {
            px[p] = (bgr[3 * p + 2] & 0xff) << 16 | (bgr[3 * p + 1] & 0xff) << 8 | (bgr[3 * p] & 0xff);
        }
        img.setRGB(0, 0, w, h, px, 0, w);
        return img;
    }

    /** The per-pixel median grey level over every frame: the clip's static background. */
    static byte[] medianBackground(final List<BufferedImage> images) {
        return MotionCrops.medianBackground(images);
    }

    /**
     * A JPEG crop of the frame around what moves ({@link MotionCrops#cropWhatMoves}), 160 x 240 pixels on a
     * 768 x 576 frame, scaled to the frame.
     */
    static byte[] cropWhatMoves(final BufferedImage img, final byte[] background) throws IOException {
        final int w = img.getWidth();
        final int h = img.getHeight();
        final int cw = Math.max(8, Math.min(w, (int) Math.round(w * 160.0 / 768)));
        final int ch = Math.max(8, Math.min(h, (int) Math.round(h * 240.0 / 576)));
        return MotionCrops.cropWhatMoves(img, background, cw, ch);
    }
}
