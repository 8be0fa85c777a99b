package dev.scissor.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The demo's pictures, drawn with Java2D into PNG files: a frame beside its spatial components
 * (one colour per component, merged tokens outlined together) and the window's kept tokens, and a
 * chart of tokens per window over time.
 */
final class DemoPictures {

    private static final Color INK = new Color(0x22, 0x22, 0x22);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
    private static final Color IN = new Color(0x9E, 0xB7, 0xD6);
    private static final Color OUT = new Color(0xD9, 0x53, 0x1E);
    private static final int PAD = 16;
    private static final int TITLE = 34;

    /** One window on the chart: its end in seconds since the first frame, tokens in and out. */
    record WindowPoint(double endSeconds, int tokensIn, int tokensOut) {}

    /** One kept token of a window: its mean grid position and how many tokens it merged. */
    record KeptToken(float row, float col, int merged) {}

    private DemoPictures() {}

    /**
     * Draws three panels: the frame; its grid tokens coloured by spatial component (a component of
     * one token stays clear, so merges stand out); the kept tokens of a window covering the frame,
     * as discs at their mean position sized by how many tokens each merged.
     */
    static void components(
            final Path file,
            final BufferedImage frame,
            final int gridH,
            final int gridW,
            final int[] labels,
            final int components,
            final String frameCaption,
            final List<KeptToken> kept,
            final String windowCaption)
            throws IOException {
        final int w = frame.getWidth();
        final int h = frame.getHeight();
        final BufferedImage img =
                new BufferedImage(3 * w + 4 * PAD, h + TITLE + 2 * PAD + 22, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = canvas(img);
        final int top = PAD + TITLE;
        final int[] x0 = {PAD, 2 * PAD + w, 3 * PAD + 2 * w};
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.setColor(INK);
        g.drawString(frameCaption, PAD, PAD + 20);

        g.drawImage(frame, x0[0], top, null);
        caption(g, "the frame (" + gridH * gridW + " tokens, a " + gridW + "x" + gridH + " grid)", x0[0], top + h + 18);

        // Panel 2: spatial components.
        g.drawImage(dimmed(frame), x0[1], top, null);
        final int[] size = new int[components];
        for (final int l : labels) {
            size[l]++;
        }
        final double cw = (double) w / gridW;
        final double ch = (double) h / gridH;
        for (int t = 0; t < labels.length; t++) {
            if (size[labels[t]] < 2) {
                continue;
            }
            final int r = t / gridW;
            final int c = t % gridW;
            final Color col = colour(labels[t]);
            g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 150));
            g.fillRect(
                    x0[1] + (int) Math.round(c * cw),
                    top + (int) Math.round(r * ch),
                    (int) Math.round((c + 1) * cw) - (int) Math.round(c * cw),
                    (int) Math.round((r + 1) * ch) - (int) Math.round(r * ch));
        }
        g.setColor(Color.WHITE);
        g.setStroke(new BasicStroke(2f));
        for (int r = 0; r < gridH; r++) {
            for (int c = 0; c < gridW; c++) {
                final int t = r * gridW + c;
                final int xa = x0[1] + (int) Math.round((c + 1) * cw);
                final int ya = top + (int) Math.round((r + 1) * ch);
                if (c + 1 < gridW && labels[t] != labels[t + 1]) {
                    g.drawLine(xa, top + (int) Math.round(r * ch), xa, ya);
                }
                if (r + 1 < gridH && labels[t] != labels[t + gridW]) {
                    g.drawLine(x0[1] + (int) Math.round(c * cw), ya, xa, ya);
                }
            }
        }
        int merged = 0;
        for (final int s : size) {
            merged += s >= 2 ? 1 : 0;
        }
        caption(
                g,
                String.format(
                        Locale.ROOT,
                        "spatial step: %d tokens -> %d components (%d coloured, merging 2+)",
                        labels.length,
                        components,
                        merged),
                x0[1],
                top + h + 18);

        // Panel 3: the window's kept tokens.
        g.drawImage(dimmed(frame), x0[2], top, null);
        int maxMerged = 1;
        for (final KeptToken k : kept) {
            maxMerged = Math.max(maxMerged, k.merged());
        }
        for (int i = 0; i < kept.size(); i++) {
            final KeptToken k = kept.get(i);
            final double rad = 3 + 0.45 * Math.min(cw, ch) * Math.sqrt((double) k.merged() / maxMerged) * 2;
            final double cx = x0[2] + (k.col() + 0.5) * cw;
            final double cy = top + (k.row() + 0.5) * ch;
            final Color col = colour(i);
            g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 170));
            g.fillOval((int) Math.round(cx - rad), (int) Math.round(cy - rad), (int) Math.round(2 * rad), (int)
                    Math.round(2 * rad));
            g.setColor(Color.WHITE);
            g.setStroke(new BasicStroke(1f));
            g.drawOval((int) Math.round(cx - rad), (int) Math.round(cy - rad), (int) Math.round(2 * rad), (int)
                    Math.round(2 * rad));
        }
        caption(g, windowCaption, x0[2], top + h + 18);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    /** A bar chart of tokens out per window over time, against the tokens in. */
    static void tokensPerWindow(final Path file, final List<WindowPoint> windows, final String title)
            throws IOException {
        final int w = 1100;
        final int h = 430;
        final int left = 80;
        final int right = 30;
        final int top = 50;
        final int bottom = 60;
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.setColor(INK);
        g.drawString(title, left, 30);
        int maxTokens = 1;
        double maxT = 1;
        for (final WindowPoint p : windows) {
            maxTokens = Math.max(maxTokens, p.tokensIn());
            maxT = Math.max(maxT, p.endSeconds());
        }
        final double yMax = niceCeil(maxTokens * 1.08);
        final double xMax = niceCeil(maxT * 1.02);
        final int plotW = w - left - right;
        final int plotH = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i <= 5; i++) {
            final double v = yMax * i / 5;
            final int y = top + plotH - (int) Math.round(plotH * v / yMax);
            g.setColor(GRID);
            g.drawLine(left, y, left + plotW, y);
            g.setColor(INK);
            final String s = String.format(Locale.ROOT, "%,d", (long) v);
            g.drawString(s, left - 8 - g.getFontMetrics().stringWidth(s), y + 5);
        }
        for (int i = 0; i <= 10; i++) {
            final double v = xMax * i / 10;
            final int x = left + (int) Math.round(plotW * v / xMax);
            g.setColor(INK);
            final String s = String.format(Locale.ROOT, "%.0f", v);
            g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, top + plotH + 18);
        }
        g.drawString("seconds of video (window end)", left + plotW / 2 - 90, top + plotH + 40);
        final java.awt.geom.AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString("tokens per window", -(top + plotH / 2 + 55), 22);
        g.setTransform(saved);
        final int barW = Math.max(2, Math.min(18, (int) (plotW / xMax * 1.2)));
        for (final WindowPoint p : windows) {
            final int x = left + (int) Math.round(plotW * p.endSeconds() / xMax);
            final int yIn = top + plotH - (int) Math.round(plotH * p.tokensIn() / yMax);
            final int yOut = top + plotH - (int) Math.round(plotH * p.tokensOut() / yMax);
            g.setColor(IN);
            g.fillRect(x - barW / 2, yIn, barW, top + plotH - yIn);
            g.setColor(OUT);
            g.fillRect(x - barW / 2, yOut, barW, top + plotH - yOut);
        }
        g.setColor(INK);
        g.drawLine(left, top + plotH, left + plotW, top + plotH);
        g.drawLine(left, top, left, top + plotH);
        legend(g, left + 12, top + 16, IN, "tokens in (all frames of the window)");
        legend(g, left + 12, top + 34, OUT, "tokens out (sent to the LLM)");
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    /**
     * Draws every frame of a window as a thumbnail; a token is coloured (by its kept token) when its
     * kept token starts at that frame, and left grey when it merged into a token kept from an earlier
     * frame: what the LLM gets as new at each frame.
     */
    static void windowStrip(
            final Path file,
            final List<BufferedImage> frames,
            final int gridH,
            final int gridW,
            final int[] assignment,
            final long[] firstFrame,
            final String title)
            throws IOException {
        final int cols = Math.min(4, frames.size());
        final int rows = (frames.size() + cols - 1) / cols;
        final int tw = 320;
        final int th = (int)
                Math.round((double) frames.get(0).getHeight() / frames.get(0).getWidth() * tw);
        final String[] lines = title.split("\n");
        final int head = TITLE + 22 * (lines.length - 1);
        final BufferedImage img = new BufferedImage(
                cols * tw + (cols + 1) * 8, rows * (th + 24) + head + 2 * PAD, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = canvas(img);
        g.setColor(INK);
        for (int i = 0; i < lines.length; i++) {
            g.setFont(new Font(Font.SANS_SERIF, i == 0 ? Font.BOLD : Font.PLAIN, i == 0 ? 17 : 15));
            g.drawString(lines[i], PAD, PAD + 20 + 22 * i);
        }
        final int n = gridH * gridW;
        final double cw = (double) tw / gridW;
        final double ch = (double) th / gridH;
        for (int f = 0; f < frames.size(); f++) {
            final int x = 8 + (f % cols) * (tw + 8);
            final int y = head + PAD + (f / cols) * (th + 24);
            g.drawImage(dimmed(frames.get(f)), x, y, tw, th, null);
            int fresh = 0;
            for (int t = 0; t < n; t++) {
                final int out = assignment[f * n + t];
                if (firstFrame[out] != f) {
                    continue;
                }
                fresh++;
                final Color col = colour(out);
                g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 140));
                final int r = t / gridW;
                final int c = t % gridW;
                g.fillRect(
                        x + (int) Math.round(c * cw),
                        y + (int) Math.round(r * ch),
                        (int) Math.round((c + 1) * cw) - (int) Math.round(c * cw),
                        (int) Math.round((r + 1) * ch) - (int) Math.round(r * ch));
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.setColor(INK);
            g.drawString(String.format(Locale.ROOT, "frame %d: %d of %d tokens new", f + 1, fresh, n), x, y + th + 16);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void legend(final Graphics2D g, final int x, final int y, final Color c, final String text) {
        g.setColor(c);
        g.fillRect(x, y - 11, 14, 12);
        g.setColor(INK);
        g.drawString(text, x + 20, y);
    }

    private static double niceCeil(final double v) {
        final double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (final double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static Graphics2D canvas(final BufferedImage img) {
        final Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    private static void caption(final Graphics2D g, final String text, final int x, final int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.setColor(INK);
        final FontMetrics fm = g.getFontMetrics();
        g.drawString(text, x, y + fm.getAscent() - 8);
    }

    /** The frame in washed-out grey, so colours drawn over it read clearly. */
    private static BufferedImage dimmed(final BufferedImage frame) {
        final BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < frame.getHeight(); y++) {
            for (int x = 0; x < frame.getWidth(); x++) {
                final int rgb = frame.getRGB(x, y);
                final int grey = (((rgb >> 16) & 255) * 77 + ((rgb >> 8) & 255) * 150 + (rgb & 255) * 29) >> 8;
                final int v = 90 + grey * 165 / 255;
                out.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return out;
    }

    /** Distinct colours: hues spaced by the golden angle. */
    private static Color colour(final int i) {
        final float hue = (float) ((i * 0.618033988749895) % 1.0);
        return Color.getHSBColor(hue, 0.85f, 0.95f);
    }
}
