package dev.scissor.cli.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class FindTaskTest {

    private static BufferedImage frame(final int personX) {
        final BufferedImage img = new BufferedImage(384, 288, BufferedImage.TYPE_INT_RGB);
        final java.awt.Graphics g = img.getGraphics();
        g.setColor(new Color(90, 90, 90));
        g.fillRect(0, 0, 384, 288);
        g.setColor(Color.WHITE);
        g.fillRect(personX, 100, 30, 80);
        g.dispose();
        return img;
    }

    @Test
    void cropsWhatMovesAgainstTheMedianBackground() throws Exception {
        // The "person" walks right; the median over five frames is the empty grey street.
        final List<BufferedImage> frames = List.of(frame(20), frame(90), frame(160), frame(230), frame(300));
        final byte[] bg = FindTask.medianBackground(frames);
        assertEquals(90, bg[0] & 0xff);
        assertEquals(90, bg[140 * 384 + 35] & 0xff, "no frame but one has the person at x=35");
        final BufferedImage crop = ImageIO.read(new ByteArrayInputStream(FindTask.cropWhatMoves(frames.get(2), bg)));
        // 160 x 240 on 768 x 576 scales to 80 x 120 here.
        assertEquals(80, crop.getWidth());
        assertEquals(120, crop.getHeight());
        int bright = 0;
        for (int y = 0; y < crop.getHeight(); y++) {
            for (int x = 0; x < crop.getWidth(); x++) {
                bright += (crop.getRGB(x, y) & 0xff) > 200 ? 1 : 0;
            }
        }
        assertTrue(bright > 0.9 * 30 * 80, "the crop holds the whole person: " + bright + " bright pixels");
    }

    @Test
    void csvAddsTheTwoColumnsAndTheCeilingLast() {
        final String eval = "method,kind,retention,K,tokens,mean_distance,coverage_0.9,worst,drift,ms_per_window\n"
                + "tome,merge,0.1000,3,3.00,0.1,0.2,0.3,0.4,1.000\n";
        final List<FindTask.Row> rows = List.of(
                new FindTask.Row(FindTask.UNCOMPRESSED, 1.0, 8, 1.0, 1.0),
                new FindTask.Row("tome", 0.1, 8, 0.5, 0.875));
        final String[] lines = FindTask.csv(eval, rows).split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].endsWith(",ms_per_window,find_top1,find_top3"), lines[0]);
        assertEquals("tome,merge,0.1000,3,3.00,0.1,0.2,0.3,0.4,1.000,0.5000,0.8750", lines[1]);
        assertEquals("uncompressed,none,1.0000,,,,,,,,1.0000,1.0000", lines[2]);
        assertEquals(lines[0].split(",").length, lines[2].split(",", -1).length);
        assertThrows(IllegalArgumentException.class, () -> FindTask.csv(eval, rows.subList(0, 1)));
    }
}
