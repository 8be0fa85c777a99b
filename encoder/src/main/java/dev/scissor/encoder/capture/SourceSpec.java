package dev.scissor.encoder.capture;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where frames come from: a parsed {@code --source} argument.
 *
 * <table>
 *   <caption>Accepted forms</caption>
 *   <tr><th>text</th><th>kind</th><th>FFmpeg input</th></tr>
 *   <tr><td>{@code rtsp://[user:pass@]host[:port]/path}, {@code rtsps://...}</td>
 *       <td>{@link Kind#RTSP}: pull from a server (TCP transport unless an option says otherwise)
 *       </td><td>{@code rtsp}</td></tr>
 *   <tr><td>{@code rtsp-listen://host:port/path}</td><td>{@link Kind#RTSP_LISTEN}: listen on
 *       {@code host:port} for a client that pushes ({@code ANNOUNCE}/{@code RECORD}) to {@code
 *       rtsp://host:port/path}</td><td>{@code rtsp} with {@code rtsp_flags=listen}</td></tr>
 *   <tr><td>{@code rtmp://}, {@code rtmps://}, {@code srt://}, {@code udp://}, {@code tcp://},
 *       {@code http://}, {@code https://}</td><td>{@link Kind#NETWORK}: any other live stream
 *       FFmpeg reads</td><td>probed</td></tr>
 *   <tr><td>{@code /dev/videoN}, {@code v4l2:/dev/videoN}</td><td>{@link Kind#V4L2}: a camera
 *       </td><td>{@code video4linux2}</td></tr>
 *   <tr><td>{@code lavfi:GRAPH}, e.g. {@code lavfi:testsrc2=size=640x360:rate=25}</td>
 *       <td>{@link Kind#LAVFI}: an FFmpeg filter-graph test source</td><td>{@code lavfi}</td></tr>
 *   <tr><td>{@code file:PATH}, or any other text</td><td>{@link Kind#FILE}: a video file
 *       </td><td>probed</td></tr>
 * </table>
 *
 * <p>{@link #options()} are passed to FFmpeg's demuxer ({@code avformat_open_input}); for a camera
 * these are e.g. {@code video_size=1280x720}, {@code framerate=30}, {@code input_format=mjpeg}.
 *
 * @param kind the kind of source
 * @param url what FFmpeg opens (for {@link Kind#RTSP_LISTEN} the {@code rtsp://} URL listened on)
 * @param format the FFmpeg input format to force, or {@code null} to probe
 * @param options demuxer options
 */
public record SourceSpec(Kind kind, String url, String format, Map<String, String> options) {

    private static final Pattern V4L2_DEVICE = Pattern.compile("/dev/video\\d+");
    private static final Pattern SCHEME = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*)://.*");
    private static final Pattern CREDENTIALS = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@]*)@");

    /** Kinds of source. */
    public enum Kind {
        /** An RTSP server to pull from. */
        RTSP(true),
        /** An RTSP client that pushes to us. */
        RTSP_LISTEN(true),
        /** Another network stream (RTMP, SRT, UDP, HTTP, ...). */
        NETWORK(true),
        /** A V4L2 camera device. */
        V4L2(true),
        /** An FFmpeg lavfi test source. */
        LAVFI(false),
        /** A video file. */
        FILE(false);

        private final boolean live;

        Kind(final boolean live) {
            this.live = live;
        }

        /**
         * Whether the source is live: frames are stamped with the wall clock when grabbed, and an
         * end of stream or error means the source dropped (reconnect), not that it is finished.
         *
         * @return true for cameras and network streams
         */
        public boolean live() {
            return live;
        }
    }

    // Validates and copies.
    public SourceSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(url, "url");
        if (url.isBlank()) {
            throw new IllegalArgumentException("source URL is empty");
        }
        options = Map.copyOf(new LinkedHashMap<>(options));
    }

    /**
     * Parses a source argument (see the class description).
     *
     * @param text the argument
     * @return the spec
     * @throws IllegalArgumentException if it is empty, an unknown {@code scheme://} or a malformed
     *     listen address
     */
    public static SourceSpec parse(final String text) {
        Objects.requireNonNull(text, "source");
        final String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("source is empty");
        }
        final String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("lavfi:")) {
            final String graph = s.substring("lavfi:".length()).strip();
            if (graph.isEmpty()) {
                throw new IllegalArgumentException(
                        "lavfi source needs a filter graph, e.g. " + "lavfi:testsrc2=size=640x360:rate=25");
            }
            return new SourceSpec(Kind.LAVFI, graph, "lavfi", Map.of());
        }
        if (lower.startsWith("v4l2:")) {
            final String dev = s.substring("v4l2:".length()).strip();
            if (dev.isEmpty()) {
                throw new IllegalArgumentException("v4l2 source needs a device, e.g. v4l2:/dev/video0");
            }
            return new SourceSpec(Kind.V4L2, dev, "video4linux2", Map.of());
        }
        if (V4L2_DEVICE.matcher(s).matches()) {
            return new SourceSpec(Kind.V4L2, s, "video4linux2", Map.of());
        }
        if (lower.startsWith("file:")) {
            String path = s.substring("file:".length());
            if (path.startsWith("//")) {
                try {
                    path = Path.of(new URI(s)).toString();
                } catch (final URISyntaxException | IllegalArgumentException e) {
                    throw new IllegalArgumentException("malformed file URI '" + s + "': " + e.getMessage(), e);
                }
            }
            if (path.isBlank()) {
                throw new IllegalArgumentException("file source needs a path, e.g. file:clip.mp4");
            }
            return new SourceSpec(Kind.FILE, path, null, Map.of());
        }
        final Matcher m = SCHEME.matcher(s);
        if (!m.matches()) {
            return new SourceSpec(Kind.FILE, s, null, Map.of());
        }
        final String scheme = m.group(1).toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "rtsp", "rtsps" -> {
                final Map<String, String> o = new LinkedHashMap<>();
                o.put("rtsp_transport", "tcp");
                return new SourceSpec(Kind.RTSP, s, "rtsp", o);
            }
            case "rtsp-listen" -> {
                final String url = "rtsp://" + s.substring("rtsp-listen://".length());
                final URI uri;
                try {
                    uri = new URI(url);
                } catch (final URISyntaxException e) {
                    throw new IllegalArgumentException("malformed listen address '" + s + "': " + e.getMessage(), e);
                }
                if (uri.getHost() == null || uri.getPort() < 1) {
                    throw new IllegalArgumentException("listen source needs a host and port, e.g. "
                            + "rtsp-listen://0.0.0.0:8554/cam1, got '" + s + "'");
                }
                final Map<String, String> o = new LinkedHashMap<>();
                o.put("rtsp_flags", "listen");
                return new SourceSpec(Kind.RTSP_LISTEN, url, "rtsp", o);
            }
            case "rtmp", "rtmps", "srt", "udp", "tcp", "http", "https", "rtp" -> {
                return new SourceSpec(Kind.NETWORK, s, null, Map.of());
            }
            default ->
                throw new IllegalArgumentException("unsupported source scheme '" + scheme
                        + "://' in '" + redact(s) + "'; use rtsp://, rtsp-listen://, rtmp://, srt://, udp://, "
                        + "tcp://, http(s)://, a file path, /dev/videoN or lavfi:GRAPH");
        }
    }

    /**
     * A copy with more demuxer options (they win over existing ones).
     *
     * @param more the options to add
     * @return the new spec
     */
    public SourceSpec withOptions(final Map<String, String> more) {
        final Map<String, String> o = new LinkedHashMap<>(options);
        o.putAll(more);
        return new SourceSpec(kind, url, format, o);
    }

    /**
     * Whether the source is live (see {@link Kind#live()}).
     *
     * @return true for cameras and network streams
     */
    public boolean live() {
        return kind.live();
    }

    /**
     * The source for logs: the URL with any password replaced by {@code ***}.
     *
     * @return a printable description
     */
    public String displayName() {
        return switch (kind) {
            case LAVFI -> "lavfi:" + url;
            case RTSP_LISTEN -> "rtsp-listen://" + redact(url).substring("rtsp://".length());
            default -> redact(url);
        };
    }

    /**
     * Replaces the password of {@code scheme://user:password@host} with {@code ***}.
     *
     * @param url a URL
     * @return the URL without the password
     */
    static String redact(final String url) {
        final Matcher m = CREDENTIALS.matcher(url);
        if (!m.find()) {
            return url;
        }
        final String userInfo = m.group(2);
        final int colon = userInfo.indexOf(':');
        if (colon < 0) {
            return url;
        }
        return m.group(1) + userInfo.substring(0, colon) + ":***@" + url.substring(m.end());
    }
}
