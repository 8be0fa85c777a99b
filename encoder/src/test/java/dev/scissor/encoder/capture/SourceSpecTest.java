package dev.scissor.encoder.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.encoder.capture.SourceSpec.Kind;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceSpecTest {

    @Test
    void rtspPullUsesTcpAndIsLive() {
        final SourceSpec s = SourceSpec.parse("rtsp://cam.local:554/stream1");
        assertEquals(Kind.RTSP, s.kind());
        assertEquals("rtsp://cam.local:554/stream1", s.url());
        assertEquals("rtsp", s.format());
        assertEquals(Map.of("rtsp_transport", "tcp"), s.options());
        assertTrue(s.live());
    }

    @Test
    void rtspListenBecomesAListeningRtspUrl() {
        final SourceSpec s = SourceSpec.parse("rtsp-listen://0.0.0.0:8554/cam1");
        assertEquals(Kind.RTSP_LISTEN, s.kind());
        assertEquals("rtsp://0.0.0.0:8554/cam1", s.url());
        assertEquals("listen", s.options().get("rtsp_flags"));
        assertEquals("rtsp-listen://0.0.0.0:8554/cam1", s.displayName());
    }

    @Test
    void rtspListenNeedsAPort() {
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("rtsp-listen://0.0.0.0/cam1"));
        assertTrue(e.getMessage().contains("host and port"), e.getMessage());
    }

    @Test
    void camerasFilesAndLavfi() {
        assertEquals(Kind.V4L2, SourceSpec.parse("/dev/video0").kind());
        assertEquals("video4linux2", SourceSpec.parse("/dev/video2").format());
        assertEquals("/dev/video1", SourceSpec.parse("v4l2:/dev/video1").url());
        final SourceSpec lavfi = SourceSpec.parse("lavfi:testsrc2=size=640x360:rate=25");
        assertEquals(Kind.LAVFI, lavfi.kind());
        assertEquals("testsrc2=size=640x360:rate=25", lavfi.url());
        assertEquals("lavfi", lavfi.format());
        assertFalse(lavfi.live());
        final SourceSpec file = SourceSpec.parse("clips/vtest.avi");
        assertEquals(Kind.FILE, file.kind());
        assertNull(file.format());
        assertEquals("/tmp/a b.mp4", SourceSpec.parse("file:///tmp/a%20b.mp4").url());
        assertEquals("rel.mp4", SourceSpec.parse("file:rel.mp4").url());
        assertEquals(Kind.NETWORK, SourceSpec.parse("srt://10.0.0.1:9000").kind());
        assertEquals(Kind.NETWORK, SourceSpec.parse("rtmp://host/live/key").kind());
    }

    @Test
    void rejectsEmptyAndUnknownSchemes() {
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("  "));
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("lavfi:"));
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("gopher://user:secret@host/x"));
        assertTrue(e.getMessage().contains("gopher://"), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), "password leaked: " + e.getMessage());
    }

    @Test
    void displayNameHidesPasswords() {
        assertEquals(
                "rtsp://admin:***@10.0.0.5/live",
                SourceSpec.parse("rtsp://admin:hunter2@10.0.0.5/live").displayName());
        assertEquals(
                "rtsp://admin@10.0.0.5/live",
                SourceSpec.parse("rtsp://admin@10.0.0.5/live").displayName());
    }

    @Test
    void optionsCanBeOverridden() {
        final SourceSpec s =
                SourceSpec.parse("rtsp://h/x").withOptions(Map.of("rtsp_transport", "udp", "buffer_size", "1048576"));
        assertEquals("udp", s.options().get("rtsp_transport"));
        assertEquals("1048576", s.options().get("buffer_size"));
    }
}
