package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.cli.CommandLines.KeyValue;
import dev.scissor.encoder.capture.SequenceNumbers;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.http.HttpService;
import dev.scissor.metrics.Metrics;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.CaptureStage;
import dev.scissor.pipeline.EncoderConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code scissor capture}: captures one or more video sources into the frames topic until they end
 * or the process is stopped (Ctrl-C or SIGTERM stop the captures and flush the producer).
 */
@Command(
        name = "capture",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "capture cameras, RTSP, files or lavfi at 2 fps into the frames topic (JPEG)",
            "",
            "Captures video, samples it (default 2 fps, as video LLMs sample), scales it down (at most 640x640, "
                    + "aspect kept), compresses it to JPEG and writes VideoFrame records to the frames topic, keyed by "
                    + "stream id, with an idempotent producer. Each source runs on its own thread; the n-th --stream-id "
                    + "names the n-th --source. Live sources reconnect with exponential backoff and jitter after a drop, "
                    + "and their sequence numbers go on; files end their stream at the end of the file. The command "
                    + "exits when every source has ended, or on Ctrl-C. --create-topics creates the frames topic.",
            "",
            "Sources:",
            "  rtsp://[user:pass@]host[:port]/path   pull from an RTSP server (TCP)",
            "  rtsp-listen://host:port/path          listen for a pusher (ANNOUNCE/RECORD), e.g. ffmpeg -f rtsp",
            "  rtmp:// srt:// udp:// tcp:// http(s):// other live streams FFmpeg reads",
            "  /dev/videoN  or  v4l2:/dev/videoN     a V4L2 camera",
            "  lavfi:GRAPH                           an FFmpeg test source, e.g. lavfi:testsrc2=size=1280x720",
            "  PATH  or  file:PATH                   a video file (paced at real time unless --fast)",
            ""
        },
        footer = {
            "",
            "Sequence numbers are the capture time in sampling periods since 1970 (half-seconds at 2 fps), raised "
                    + "to stay increasing: they keep increasing across reconnects and across restarts of the same stream "
                    + "id, as the compressor requires. Live sources are stamped with the wall clock; files with their "
                    + "start time plus media time. With --fast a file is stamped ahead of the clock: restart such a "
                    + "stream with --first-sequence above its last number (printed on exit), or under a new stream id; "
                    + "the same applies after lowering --fps for an existing stream id.",
            "",
            "example: scissor capture --bootstrap localhost:9092 --create-topics \\",
            "           --source rtsp://10.0.0.5:554/live --stream-id lobby \\",
            "           --source /dev/video0 --stream-id desk --source-option video_size=1280x720"
        })
final class CaptureCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Mixin
    private KafkaCliOptions kafka;

    @Option(names = "--source", paramLabel = "SRC", description = "a source (repeatable)")
    private List<String> sources = new ArrayList<>();

    /** The FFmpeg options of the sources that have some, by index. */
    private final Map<Integer, Map<String, String>> sourceOptions = new HashMap<>();

    @Option(
            names = "--stream-id",
            paramLabel = "ID",
            description = "the stream id of a source (one per --source, in order)")
    private List<String> ids = new ArrayList<>();

    @Option(
            names = "--fps",
            paramLabel = "F",
            converter = CommandLines.FiniteDouble.class,
            description = "sampling rate (default 2; 0 = every frame)")
    private Double fps;

    @Option(
            names = "--max-size",
            paramLabel = "WxH",
            converter = Size.Converter.class,
            description = "scale frames down to fit (default 640x640; 0x0 = source size)")
    private Size maxSize;

    @Option(names = "--quality", paramLabel = "Q", description = "JPEG quantiser scale, 2 (best) .. 31 (default 5)")
    private Integer quality;

    @Option(names = "--fast", description = "read files and lavfi as fast as they decode, not at real time")
    private boolean fast;

    @Option(
            names = "--decoder-threads",
            paramLabel = "N",
            description = "FFmpeg decoder threads per source (default 1; 0 = FFmpeg chooses)")
    private Integer decoderThreads;

    @Option(names = "--first-sequence", paramLabel = "N", description = "lowest sequence number (see below; default 0)")
    private Long firstSequence;

    @Option(
            names = "--metrics-port",
            paramLabel = "PORT",
            description = "HTTP port of GET /metrics (default 9401; 0 = any free port; -1 = none)")
    private Integer metricsPort;

    private final PrintStream out;
    private final PrintStream err;

    CaptureCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new CaptureCommand(out, err), args, out, err);
    }

    @Option(
            names = "--source-option",
            paramLabel = "K=V",
            converter = KeyValue.Converter.class,
            description = "FFmpeg demuxer option of the last --source (repeatable), e.g. video_size=1280x720, "
                    + "framerate=30, input_format=mjpeg, rtsp_transport=udp")
    private void sourceOption(final KeyValue option) {
        if (sources.isEmpty()) {
            throw CommandLines.usage(spec.commandLine(), "--source-option %s comes before any --source", option.key());
        }
        sourceOptions
                .computeIfAbsent(sources.size() - 1, i -> new LinkedHashMap<>())
                .put(option.key(), option.value());
    }

    /** A frame size bound, {@code WxH}. */
    record Size(int width, int height) {

        /** Converts {@code WxH}. */
        static final class Converter implements ITypeConverter<Size> {
            @Override
            public Size convert(final String value) {
                final String[] wh = value.toLowerCase(Locale.ROOT).split("x");
                try {
                    if (wh.length == 2) {
                        return new Size(Integer.parseInt(wh[0].strip()), Integer.parseInt(wh[1].strip()));
                    }
                } catch (final NumberFormatException e) {
                    // reported below
                }
                throw new TypeConversionException("'" + value + "' is not WxH");
            }
        }
    }

    @Override
    public Integer call() {
        if (kafka.describeConfig) {
            out.print(CaptureConfig.describe());
            return 0;
        }
        if (sources.isEmpty()) {
            throw CommandLines.usage(spec.commandLine(), "at least one --source is required");
        }
        if (ids.size() != sources.size()) {
            throw CommandLines.usage(
                    spec.commandLine(),
                    "give one --stream-id per --source (%d sources, %d stream ids)",
                    sources.size(),
                    ids.size());
        }
        kafka.put(CaptureConfig.FPS, fps);
        if (maxSize != null) {
            kafka.put(CaptureConfig.MAX_WIDTH, maxSize.width());
            kafka.put(CaptureConfig.MAX_HEIGHT, maxSize.height());
        }
        kafka.put(CaptureConfig.JPEG_QSCALE, quality);
        kafka.put(CaptureConfig.REALTIME, fast ? "false" : null);
        kafka.put(CaptureConfig.DECODER_THREADS, decoderThreads);
        kafka.put(CaptureConfig.FIRST_SEQUENCE, firstSequence);
        kafka.put(CaptureConfig.METRICS_PORT, metricsPort);
        final Map<String, Object> settings = kafka.settings();
        final CaptureConfig config;
        final List<CaptureStage.Source> streams = new ArrayList<>();
        try {
            config = new CaptureConfig(settings);
            for (int i = 0; i < sources.size(); i++) {
                streams.add(new CaptureStage.Source(
                        ids.get(i),
                        SourceSpec.parse(sources.get(i)).withOptions(sourceOptions.getOrDefault(i, Map.of()))));
            }
        } catch (final ConfigException | IllegalArgumentException e) {
            err.println("scissor capture: " + e.getMessage()
                    + "\n(run 'scissor capture --help', or --describe-config for every setting)");
            return 2;
        }
        try {
            kafka.ensureTopics(
                    settings, List.of(config.framesTopic()), EncoderConfig.MAX_REQUEST_BYTES, "capture", out);
            return serve(config, streams, kafka.runForSeconds, out, err);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (final IOException | RuntimeException e) {
            err.println("scissor capture: " + e.getMessage());
            return 1;
        }
    }

    private static int serve(
            final CaptureConfig config,
            final List<CaptureStage.Source> streams,
            final long runForSeconds,
            final PrintStream out,
            final PrintStream err)
            throws IOException, InterruptedException {
        // try-with-resources skips a null endpoint (metrics port -1). serve closes the stage
        // before its final report; closing again here is a no-op, and covers a failed start. The
        // registry, owned here, closes after the stage, the endpoint last.
        try (HttpService http = MetricsEndpoint.start(
                        "capture",
                        config.metricsBind(),
                        config.metricsPort(),
                        CaptureConfig.METRICS_PORT,
                        CaptureConfig.METRICS_BIND,
                        out);
                Metrics metrics = new Metrics();
                CaptureStage stage = new CaptureStage(config, streams)) {
            if (http != null) {
                stage.registerMetrics(metrics.expose(http));
            }
            return serve(config, streams, stage, runForSeconds, out, err);
        }
    }

    private static int serve(
            final CaptureConfig config,
            final List<CaptureStage.Source> streams,
            final CaptureStage stage,
            final long runForSeconds,
            final PrintStream out,
            final PrintStream err)
            throws IOException, InterruptedException {
        final Thread hook = new Thread(stage::close, "scissor-capture-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stage.start();
        out.printf(
                "scissor capture: %d stream(s) -> %s at %s fps%n",
                streams.size(), config.framesTopic(), config.fps() == 0 ? "every frame" : config.fps());
        for (final CaptureStage.Source s : streams) {
            out.printf("  %s <- %s%n", s.streamId(), s.spec().displayName());
        }
        final long deadline = runForSeconds < 0 ? Long.MAX_VALUE : System.nanoTime() + runForSeconds * 1_000_000_000L;
        long lastCount = 0;
        long lastReport = System.nanoTime();
        while (System.nanoTime() < deadline) {
            final long waitMs = Math.min(10_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (stage.awaitSources(Duration.ofMillis(waitMs))) {
                break;
            }
            final long now = System.nanoTime();
            final long count = stage.framesSent();
            out.printf(
                    "scissor capture: %d frames delivered (%.1f/s), %d failed%n",
                    count, (count - lastCount) * 1e9 / (now - lastReport), stage.failedSends());
            for (final CaptureStage.StreamStatus s : stage.status()) {
                out.printf(
                        "  %-16s %-8s %6d frames  last seq %s  reconnects %d%n",
                        s.streamId(), s.state(), s.frames(), seq(s.lastSequence()), s.reconnects());
            }
            lastCount = count;
            lastReport = now;
        }
        stage.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is running: it closes the stage
        }
        for (final CaptureStage.StreamStatus s : stage.status()) {
            out.printf(
                    "scissor capture: %s %s after %d frames, last sequence %s, %d reconnects%n",
                    s.streamId(),
                    s.state().name().toLowerCase(Locale.ROOT),
                    s.frames(),
                    seq(s.lastSequence()),
                    s.reconnects());
        }
        out.printf("scissor capture: %d frames delivered, %d failed%n", stage.framesSent(), stage.failedSends());
        if (stage.failedStreams() > 0 || stage.failedSends() > 0) {
            err.println("scissor capture: " + stage.failedStreams() + " stream(s) failed, " + stage.failedSends()
                    + " frame(s) not delivered"
                    + (stage.lastSendError() == null ? "" : " (last error: " + stage.lastSendError() + ")")
                    + "; see the log");
            return 1;
        }
        return 0;
    }

    private static String seq(final long s) {
        return s == SequenceNumbers.NONE ? "-" : Long.toString(s);
    }
}
