package dev.scissor.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.pipeline.PipelineTestSupport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo end to end on the real clip, read as fast as it decodes: an in-process broker, capture,
 * the default encoder, the compressor and the watcher; every frame is encoded and compressed, the
 * windows cover the clip, the summary is printed and the pictures are written.
 */
class DemoIT {

    @Test
    void runsTheWholePipelineOnTheRealClip(@TempDir final Path out) throws Exception {
        final Path clip = PipelineTestSupport.clip();
        PipelineTestSupport.assumeDefaultModel();
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final DemoSummary s;
        try (PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            s = Demo.run(new Demo.Options(clip.toString(), "vtest", null, out, false, 0, Map.of(), false), ps);
            s.print(ps);
        }
        final String text = log.toString(StandardCharsets.UTF_8);
        // vtest.avi: 795 frames at 10 fps, sampled at 2 fps.
        assertEquals(159, s.framesCaptured(), text);
        assertEquals(159, s.framesEncoded(), text);
        // W = 16, H = 4: windows end at frames 16, 20, ..., 156.
        assertEquals(36, s.windowCount(), text);
        assertEquals(36L * 16 * 196, s.tokensIn(), text);
        assertTrue(s.tokensOut() < s.spatialTokens() && s.spatialTokens() < s.tokensIn(), text);
        assertTrue(s.retention() > 0.02 && s.retention() < 0.3, "retention " + s.retention());
        assertEquals(0, s.deadLetters(), text);
        assertTrue(s.latencyP50Ms() >= 0, text);
        assertTrue(text.contains("scissor demo: summary") && text.contains("tokens out"), text);
        final BufferedImage components = ImageIO.read(s.componentsPicture().toFile());
        assertTrue(components.getWidth() > 3 * 640 && components.getHeight() > 480, "components.png size");
        final BufferedImage strip = ImageIO.read(s.windowPicture().toFile());
        assertTrue(strip.getWidth() >= 4 * 320 && strip.getHeight() >= 4 * 240, "window.png size");
        assertTrue(ImageIO.read(s.chartPicture().toFile()).getWidth() > 0);
        // Query by example through the QA service: a crop of what moves in the pictured frame.
        assertEquals(36, s.find().results().size(), text);
        assertTrue(
                s.find().rank() >= 1 && s.find().rank() <= 3,
                "a window holding the cropped frame ranks in the top " + "3: "
                        + s.find().describe());
        assertTrue(ImageIO.read(s.find().picture().toFile()).getWidth() > 0);
    }
}
