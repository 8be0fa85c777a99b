package dev.scissor.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Query images for {@code /v1/find} made from a clip's own frames: a crop around what moves against the
 * clip's static background. The evaluation's find task and the QA service's tests query with these.
 */
public final class MotionCrops {

    private MotionCrops() {}

    /**
     * The per-pixel median grey level over frames of one size: the clip's static background.
     *
     * @param images the frames (at least one, all of the first one's size)
     * @return the background, {@code width * height} grey levels, row-major
     */
    public static byte[] medianBackground(final List<BufferedImage> images) {
        final int w = images.get(0).getWidth();
        final int h = images.get(0).getHeight();
        final int[][] all = new int[images.size()][];
        for (int i = 0; i < all.length; i++) {
            all[i] = images.get(i).getRGB(0, 0, w, h, null, 0, w);
        }
        final byte[] bg = new byte[w * h];
        final int[] v = new int[all.length];
        for (int p = 0; p < w * h; p++) {
            for (int i = 0; i < v.length; i++) {
                v[i] = grey(all[i][p]);
            }
            Arrays.sort(v);
            bg[p] = (byte) v[v.length / 2];
        }
        return bg;
    }

    /**
     * A JPEG crop of {@code cropWidth x cropHeight} (at most the frame) around the region that differs
     * most from the background: grey-level differences above 30 summed over the crop, searched on an
     * 8-pixel grid; the first best position wins.
     *
     * @param img the frame
     * @param background its background ({@link #medianBackground})
     * @param cropWidth crop width in pixels
     * @param cropHeight crop height in pixels
     * @return the crop as JPEG
     * @throws IOException if it cannot be encoded
     */
    public static byte[] cropWhatMoves(
            final BufferedImage img, final byte[] background, final int cropWidth, final int cropHeight)
            throws IOException {
        final int w = img.getWidth();
        final int h = img.getHeight();
        if (background.length != w * h) {
            throw new IllegalArgumentException(
                    "background of " + background.length + " pixels for a " + w + "x" + h + " frame");
        }
        final int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        final long[] integral = new long[(w + 1) * (h + 1)];
        for (int y = 0; y < h; y++) {
            long row = 0;
            for (int x = 0; x < w; x++) {
                final int d = Math.abs(grey(px[y * w + x]) - (background[y * w + x] & 0xff));
                row += d > 30 ? d : 0;
                integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
            }
        }
        final int cw = Math.min(cropWidth, w);
        final int ch = Math.min(cropHeight, h);
        long best = -1;
        int bx = 0;
        int by = 0;
        for (int y = 0; y + ch <= h; y += 8) {
            for (int x = 0; x + cw <= w; x += 8) {
                final long s = integral[(y + ch) * (w + 1) + x + cw]
                        - integral[y * (w + 1) + x + cw]
                        - integral[(y + ch) * (w + 1) + x]
                        + integral[y * (w + 1) + x];
                if (s > best) {
                    best = s;
                    bx = x;
                    by = y;
                }
            }
        }
        final BufferedImage crop = new BufferedImage(cw, ch, BufferedImage.TYPE_INT_RGB);
        crop.getGraphics().drawImage(img.getSubimage(bx, by, cw, ch), 0, 0, null);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(crop, "jpeg", out);
        return out.toByteArray();
    }

    private static int grey(final int rgb) {
        return (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff)) / 3;
    }
}
