package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.FfmpegJpegEncoder;
import dev.scissor.encoder.testing.TestVideos;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An RTSP listener receives a push from an in-JVM recorder (as from a camera or an encoder box
 * that pushes), the pusher stops, and a second push to the same address is received on a new
 * connection 2 s later: the frames of both sessions arrive, the sequence numbers keep increasing,
 * and the time away shows as a gap in them.
 */
class RtspListenIT {

    private static final int[] BLUE = {200, 40, 40};
    private static final int[] RED = {40, 40, 200};

    @Test
    @Timeout(90)
    void receivesAPushAndReconnectsWhenThePusherComesBack() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        final SourceSpec spec = SourceSpec.parse("rtsp-listen://127.0.0.1:" + port + "/cam");
        final CaptureOptions options =
                CaptureOptions.DEFAULT.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3));
        final ReconnectPolicy policy = new ReconnectPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.5, -1);
        final List<EncodedFrame> out = Collections.synchronizedList(new ArrayList<>());
        final FrameCapture capture = new FrameCapture(
                "cam-rtsp",
                ReconnectingFrameSource.of(spec, options, policy),
                new SequenceNumbers(2, 0),
                new FfmpegJpegEncoder(5),
                out::add);
        final Thread thread = new Thread(capture, "capture-cam-rtsp");
        thread.start();
        try {
            final String url = "rtsp://127.0.0.1:" + port + "/cam";
            TestVideos.pushRtsp(url, 75, 25, BLUE, 10_000); // 3 s
            final int afterFirst = waitFor(out, 4, Duration.ofSeconds(10));
            Thread.sleep(2_000); // the camera is away for 2 s: 4 sampling periods at 2 fps
            TestVideos.pushRtsp(url, 75, 25, RED, 15_000);
            waitFor(out, afterFirst + 4, Duration.ofSeconds(10));
        } finally {
            capture.stop();
            assertTrue(capture.await(Duration.ofSeconds(15)), "capture did not stop");
        }
        assertEquals(FrameCapture.State.STOPPED, capture.state());
        assertTrue(capture.reconnects() >= 1, "reconnects: " + capture.reconnects());

        final List<EncodedFrame> frames = List.copyOf(out);
        int blue = 0;
        int red = 0;
        boolean seenRed = false;
        long lastBlue = -1;
        long firstRed = -1;
        try (FfmpegImageDecoder decoder = new FfmpegImageDecoder(1 << 22, 1 << 22)) {
            for (int i = 0; i < frames.size(); i++) {
                final EncodedFrame f = frames.get(i);
                assertEquals(320, f.width());
                if (i > 0) {
                    assertTrue(f.sequence() > frames.get(i - 1).sequence(), "sequence went back at " + i);
                }
                final DecodedImage img = decoder.decode(f.format(), ByteBuffer.wrap(f.image()), 0, 0);
                final int b = img.pixels().get(3 * 2) & 0xff; // pixel (2, 0): background
                final int r = img.pixels().get(3 * 2 + 2) & 0xff;
                if (b > r + 80) {
                    blue++;
                    lastBlue = f.sequence();
                    assertTrue(!seenRed, "a frame of the first push arrived after the second push");
                } else if (r > b + 80) {
                    red++;
                    if (!seenRed) {
                        firstRed = f.sequence();
                    }
                    seenRed = true;
                }
            }
        }
        assertTrue(blue >= 3, "frames of the first push: " + blue + " of " + frames.size());
        assertTrue(red >= 3, "frames of the second push: " + red + " of " + frames.size());
        // The outage shows as a gap in the sequence numbers (capture time in sampling periods).
        assertTrue(firstRed - lastBlue >= 4, "a gap of at least the 2 s away: " + lastBlue + " -> " + firstRed);
    }

    private static int waitFor(final List<EncodedFrame> out, final int count, final Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return out.size();
    }
}
