package dev.scissor.encoder.media;

import java.util.Locale;
import java.util.Map;
import org.bytedeco.ffmpeg.global.avdevice;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-time set-up of the FFmpeg libraries that JavaCV bundles, shared by capture and image coding.
 *
 * <ul>
 *   <li>FFmpeg's own log goes to stderr; its level comes from the system property {@value
 *       #LOG_LEVEL_PROPERTY} ({@code quiet}, {@code fatal} (default), {@code error}, {@code
 *       warning}, {@code info}, {@code verbose}, {@code debug}). The Java side logs every failure
 *       itself, so the default keeps FFmpeg's per-packet complaints out of the way.
 *   <li>JavaCPP's messages go to SLF4J unless {@code org.bytedeco.javacpp.logger} is set.
 *   <li>{@link #requireDevices()} registers libavdevice, which the {@code lavfi} and {@code
 *       video4linux2} inputs live in. JavaCV's build of libavdevice links the system library
 *       {@code libpulse.so.0}; without it those two inputs cannot work and the method says so.
 * </ul>
 *
 * <p>All methods are thread-safe and idempotent.
 */
public final class Ffmpeg {

    /** System property naming FFmpeg's log level. */
    public static final String LOG_LEVEL_PROPERTY = "scissor.ffmpeg.loglevel";

    private static final Logger LOG = LoggerFactory.getLogger(Ffmpeg.class);
    private static final Map<String, Integer> LEVELS = Map.of(
            "quiet",
            avutil.AV_LOG_QUIET,
            "panic",
            avutil.AV_LOG_PANIC,
            "fatal",
            avutil.AV_LOG_FATAL,
            "error",
            avutil.AV_LOG_ERROR,
            "warning",
            avutil.AV_LOG_WARNING,
            "info",
            avutil.AV_LOG_INFO,
            "verbose",
            avutil.AV_LOG_VERBOSE,
            "debug",
            avutil.AV_LOG_DEBUG);

    private static boolean initialised;
    private static Boolean devicesOk;
    private static String devicesProblem;

    private Ffmpeg() {}

    /** Loads the core libraries and applies the log settings (once). */
    public static synchronized void init() {
        if (initialised) {
            return;
        }
        if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
            System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
        }
        final String name = System.getProperty(LOG_LEVEL_PROPERTY, "fatal").toLowerCase(Locale.ROOT);
        final Integer level = LEVELS.get(name);
        if (level == null) {
            LOG.warn("{}={} is not one of {}; using fatal", LOG_LEVEL_PROPERTY, name, LEVELS.keySet());
        }
        avutil.av_log_set_level(level == null ? avutil.AV_LOG_FATAL : level);
        initialised = true;
    }

    /**
     * Whether libavdevice (the {@code lavfi} and {@code video4linux2} inputs) can be loaded.
     *
     * @return true if it loaded and registered
     */
    public static synchronized boolean devicesAvailable() {
        init();
        if (devicesOk == null) {
            try {
                avdevice.avdevice_register_all();
                devicesOk = true;
            } catch (final LinkageError e) {
                devicesOk = false;
                devicesProblem = String.valueOf(e.getMessage());
                LOG.debug("libavdevice does not load", e);
            }
        }
        return devicesOk;
    }

    /**
     * Registers libavdevice, or explains why it cannot be loaded.
     *
     * @throws IllegalStateException if libavdevice does not load (usually a missing {@code
     *     libpulse.so.0}: {@code apt-get install libpulse0})
     */
    public static void requireDevices() {
        if (!devicesAvailable()) {
            throw new IllegalStateException("lavfi and V4L2 sources need FFmpeg's libavdevice, which "
                    + "did not load (" + devicesProblem + "); JavaCV's build links the system library "
                    + "libpulse.so.0: install it with `apt-get install libpulse0`");
        }
    }

    /**
     * FFmpeg's text for an error code.
     *
     * @param code a negative {@code AVERROR} value
     * @return the message, with the code
     */
    public static String error(final int code) {
        final BytePointer buf = new BytePointer(256);
        try {
            avutil.av_strerror(code, buf, 256);
            return buf.getString().strip() + " (" + code + ")";
        } finally {
            buf.close();
        }
    }
}
