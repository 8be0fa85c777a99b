package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The pixel limits of a /v1/find query, checked from the image's header before any decoding. */
class QueryEncoderPlanTest {

    private static final long DEFAULT = QueryEncoder.DEFAULT_MAX_PIXELS;

    @Test
    void aSmallCropIsTiledToTheFrameScale() throws Exception {
        final QueryEncoder.Tiling t = QueryEncoder.plan(HostilePngs.black(100, 50), 640, 480, DEFAULT);
        assertEquals(new QueryEncoder.Tiling(100, 50, 6, 10), t);
        assertEquals(600L * 500, t.pixels());
    }

    @Test
    void theReviewersWidePngWithHugeFramesIsRefusedAtEveryLimit() throws Exception {
        final byte[] png = HostilePngs.black(65535, 1024);
        assertTrue(png.length < 400_000, "a small upload: " + png.length + " bytes");
        // Default limit: the image alone is too large (it was a 500 NegativeArraySizeException).
        final QueryEncoder.TooLargeException image =
                assertThrows(QueryEncoder.TooLargeException.class, () -> QueryEncoder.plan(png, 16384, 16384, DEFAULT));
        assertTrue(
                image.getMessage().contains("65535x1024") && image.getMessage().contains(ServeConfig.FIND_MAX_PIXELS),
                image.getMessage());
        // The largest limit allowed: the frame fits, the image fits, but the tiling (1x16) does not.
        final long max = 16384L * 16384;
        final QueryEncoder.TooLargeException tiled =
                assertThrows(QueryEncoder.TooLargeException.class, () -> QueryEncoder.plan(png, 16384, 16384, max));
        assertTrue(
                tiled.getMessage().contains("tiled 1x16") && tiled.getMessage().contains(ServeConfig.FIND_MAX_PIXELS),
                tiled.getMessage());
        // The frame alone can be over a limit the image is under.
        final QueryEncoder.TooLargeException frame = assertThrows(
                QueryEncoder.TooLargeException.class,
                () -> QueryEncoder.plan(HostilePngs.black(64, 64), 16384, 16384, DEFAULT));
        assertTrue(frame.getMessage().startsWith("frame_width x frame_height is 16384x16384"), frame.getMessage());
    }

    @Test
    void aPngThatDeclares40000x1024IsRefusedFromItsHeader() throws Exception {
        final QueryEncoder.TooLargeException e = assertThrows(
                QueryEncoder.TooLargeException.class,
                () -> QueryEncoder.plan(HostilePngs.black(40000, 1024), 640, 480, DEFAULT));
        assertEquals(
                "the image is 40000x1024 = 40960000 pixels; at most 16777216 are decoded ("
                        + ServeConfig.FIND_MAX_PIXELS + ")",
                e.getMessage());
    }

    @Test
    void bytesWithoutASizedHeaderAreBadImages() {
        assertEquals(
                "the image is neither a JPEG nor a PNG",
                assertThrows(
                                QueryEncoder.BadImageException.class,
                                () -> QueryEncoder.plan("hello".getBytes(StandardCharsets.US_ASCII), 640, 480, DEFAULT))
                        .getMessage());
        final byte[] truncated = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};
        assertTrue(assertThrows(
                        QueryEncoder.BadImageException.class, () -> QueryEncoder.plan(truncated, 640, 480, DEFAULT))
                .getMessage()
                .contains("declares no image size"));
    }
}
