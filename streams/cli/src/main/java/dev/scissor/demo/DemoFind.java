package dev.scissor.demo;

import dev.scissor.serve.QaService;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The demo's checkable answer: crops what moves in a frame (against the median of the window's
 * frames, so usually a person), asks the QA service which windows contain it (query by example, no
 * LLM), and reports where the windows that hold the frame ranked.
 */
final class DemoFind {

    /**
     * What the query found.
     *
     * @param frame the cropped frame (index from the first frame)
     * @param box the crop, {x, y, w, h}
     * @param results the ranked windows
     * @param rank 1-based rank of the best window that contains the frame (0: none)
     * @param firstFrame the first frame's sequence, for printing
     * @param picture the picture
     */
    record Outcome(long frame, int[] box, List<QaService.FindResult> results, int rank, long firstFrame, Path picture) {

        /** One line for the summary. */
        String describe() {
            if (results.isEmpty()) {
                return "no windows to rank";
            }
            final QaService.FindResult top = results.get(0);
            return String.format(
                    Locale.ROOT,
                    "a %dx%d crop of frame %d -> best of %d windows: frames %d-%d (%s); the "
                            + "first window holding frame %d ranked %s",
                    box[2],
                    box[3],
                    frame,
                    results.size(),
                    top.firstSequence() - firstFrame,
                    top.lastSequence() - firstFrame,
                    rank == 1 ? "holds the frame" : "does not hold the frame",
                    frame,
                    rank == 0 ? "nowhere" : "#" + rank);
        }
    }

    private DemoFind() {}

    static Outcome run(
            final QaService qa,
            final String stream,
            final List<BufferedImage> frames,
            final List<Long> seqs,
            final int index,
            final long firstSeq,
            final Path outDir)
            throws Exception {
        final BufferedImage frame = frames.get(index);
        final int[] box = movingBox(frames, index);
        final BufferedImage crop = copy(frame.getSubimage(box[0], box[1], box[2], box[3]));
        final ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(crop, "jpg", jpeg);
        Files.write(outDir.resolve("find_query.jpg"), jpeg.toByteArray());
        final List<QaService.FindResult> results =
                qa.find(stream, jpeg.toByteArray(), Integer.MAX_VALUE, frame.getWidth(), frame.getHeight());
        final long k = seqs.get(index);
        int rank = 0;
        for (int i = 0; i < results.size() && rank == 0; i++) {
            if (results.get(i).frames().contains(k)) {
                rank = i + 1;
            }
        }
        final Path picture = outDir.resolve("find.png");
        draw(picture, frame, crop, box, results, k, firstSeq);
        return new Outcome(k - firstSeq, box, results, rank, firstSeq, picture);
    }

    /** The frame-sized quarter-width, half-height box that differs most from the median frame. */
    static int[] movingBox(final List<BufferedImage> frames, final int index) {
        final BufferedImage f = frames.get(index);
        final int w = f.getWidth();
        final int h = f.getHeight();
        final int n = frames.size();
        final int[][] grey = new int[n][];
        for (int i = 0; i < n; i++) {
            grey[i] = grey(frames.get(i), w, h);
        }
        final long[] integral = new long[(w + 1) * (h + 1)];
        final int[] column = new int[n];
        for (int y = 0; y < h; y++) {
            long row = 0;
            for (int x = 0; x < w; x++) {
                for (int i = 0; i < n; i++) {
                    column[i] = grey[i][y * w + x];
                }
                Arrays.sort(column);
                row += Math.abs(grey[index][y * w + x] - column[n / 2]);
                integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
            }
        }
        final int bw = w / 4;
        final int bh = h / 2;
        long best = -1;
        int bx = 0;
        int by = 0;
        for (int y = 0; y + bh <= h; y += 4) {
            for (int x = 0; x + bw <= w; x += 4) {
                final long sum = integral[(y + bh) * (w + 1) + x + bw]
                        - integral[y * (w + 1) + x + bw]
                        - integral[(y + bh) * (w + 1) + x]
                        + integral[y * (w + 1) + x];
                if (sum > best) {
                    best = sum;
                    bx = x;
                    by = y;
                }
            }
        }
        return new int[] {bx, by, bw, bh};
    }

    private static int[] grey(final BufferedImage img, final int w, final int h) {
        final int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < rgb.length; i++) {
            final int p = rgb[i];
            rgb[i] = (((p >> 16) & 255) * 77 + ((p >> 8) & 255) * 150 + (p & 255) * 29) >> 8;
        }
        return rgb;
    }

    private static BufferedImage copy(final BufferedImage src) {
        final BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = out.createGraphics();
        g.drawImage(src, 0, 0, null);
        g.dispose();
        return out;
    }

    private static void draw(
            final Path file,
            final BufferedImage frame,
            final BufferedImage crop,
            final int[] box,
            final List<QaService.FindResult> results,
            final long k,
            final long firstSeq)
            throws IOException {
        final int pad = 16;
        final int lines = Math.min(5, results.size());
        final int height = Math.max(frame.getHeight(), crop.getHeight()) + 60 + 22 * lines + 2 * pad;
        final BufferedImage img =
                new BufferedImage(crop.getWidth() + frame.getWidth() + 3 * pad, height, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(new Color(0x22, 0x22, 0x22));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.drawString(
                String.format(
                        Locale.ROOT, "query by example: which windows contain this? (crop of frame %d)", k - firstSeq),
                pad,
                pad + 18);
        final int top = pad + 34;
        g.drawImage(crop, pad, top, null);
        g.drawImage(frame, 2 * pad + crop.getWidth(), top, null);
        g.setColor(new Color(0xD9, 0x53, 0x1E));
        g.setStroke(new BasicStroke(3f));
        g.drawRect(2 * pad + crop.getWidth() + box[0], top + box[1], box[2], box[3]);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        int y = top + Math.max(frame.getHeight(), crop.getHeight()) + 26;
        for (int i = 0; i < lines; i++) {
            final QaService.FindResult r = results.get(i);
            final boolean holds = r.frames().contains(k);
            g.setColor(holds ? new Color(0x1B, 0x7F, 0x3B) : new Color(0x22, 0x22, 0x22));
            g.drawString(
                    String.format(
                            Locale.ROOT,
                            "%d. window of frames %d-%d   score %.2f   %s",
                            i + 1,
                            r.firstSequence() - firstSeq,
                            r.lastSequence() - firstSeq,
                            r.score(),
                            holds ? "holds frame " + (k - firstSeq) : ""),
                    pad,
                    y);
            y += 22;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
