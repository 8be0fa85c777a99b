package dev.scissor.cli;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code scissor capture}: captures one or more video sources into the frames topic until they end
 * or the process is stopped (Ctrl-C or SIGTERM stop the captures and flush the producer).
 */
final class CaptureCommand {

    private static final String HELP = String.join("\n",
            "usage: scissor capture --bootstrap HOST:PORT --source SRC --stream-id ID [--source SRC --stream-id ID ...]",
            "                       [options]",
            "",
            "Captures video, samples it (default 2 fps, as video LLMs sample), scales it down (at most 640x640,",
            "aspect kept), compresses it to JPEG and writes VideoFrame records to the frames topic, keyed by stream",
            "id, with an idempotent producer. Each source runs on its own thread; the n-th --stream-id names the",
            "n-th --source. Live sources reconnect with exponential backoff and jitter after a drop, and their",
            "sequence numbers go on; files end their stream at the end of the file. The command exits when every",
            "source has ended, or on Ctrl-C.",
            "",
            "sources:",
            "  rtsp://[user:pass@]host[:port]/path    pull from an RTSP server (TCP)",
            "  rtsp-listen://host:port/path           listen for a pusher (ANNOUNCE/RECORD), e.g. from ffmpeg -f rtsp",
            "  rtmp:// srt:// udp:// tcp:// http(s):// other live streams FFmpeg reads",
            "  /dev/videoN  or  v4l2:/dev/videoN      a V4L2 camera",
            "  lavfi:GRAPH                            an FFmpeg test source, e.g. lavfi:testsrc2=size=1280x720:rate=25",
            "  PATH  or  file:PATH                    a video file (paced at real time unless --fast)",
            "",
            "options:",
            "  --bootstrap SERVERS     Kafka bootstrap servers (required)",
            "  --source SRC            a source (repeatable)",
            "  --stream-id ID          the stream id of a source (one per --source, in order)",
            "  --source-option K=V     FFmpeg demuxer option of the last --source (repeatable), e.g.",
            "                          video_size=1280x720, framerate=30, input_format=mjpeg, rtsp_transport=udp",
            "  --fps F                 sampling rate (default 2; 0 = every frame)",
            "  --max-size WxH          scale frames down to fit (default 640x640; 0x0 = source size)",
            "  --quality Q             JPEG quantiser scale, 2 (best) .. 31 (default 5)",
            "  --fast                  read files and lavfi as fast as they decode, not at real time",
            "  --decoder-threads N     FFmpeg decoder threads per source (default 1; 0 = FFmpeg chooses)",
            "  --first-sequence N      lowest sequence number (see below; default 0)",
            "  --metrics-port PORT     HTTP port of GET /metrics (default 9401; 0 = any free port; -1 = none)",
            "  --config FILE           a properties file (scissor.capture.* keys and Kafka producer keys)",
            "  --set KEY=VALUE         one setting; repeatable; wins over --config",
            "  --create-topics         create the frames topic if missing",
            "  --partitions P          partitions of a created topic (default 8)",
            "  --replication R         replication factor of a created topic (default 1)",
            "  --run-for SECONDS       stop after this long (default: until the sources end or Ctrl-C)",
            "  --describe-config       print every scissor.capture.* setting with its default and exit",
            "",
            "Sequence numbers are the capture time in sampling periods since 1970 (half-seconds at 2 fps),",
            "raised to stay increasing: they keep increasing across reconnects and across restarts of the same",
            "stream id, as the compressor requires. Live sources are stamped with the wall clock; files with their",
            "start time plus media time. With --fast a file is stamped ahead of the clock: restart such a stream",
            "with --first-sequence above its last number (printed on exit), or under a new stream id; the same",
            "applies after lowering --fps for an existing stream id.",
            "",
            "example: scissor capture --bootstrap localhost:9092 --create-topics \\",
            "           --source rtsp://10.0.0.5:554/live --stream-id lobby \\",
            "           --source /dev/video0 --stream-id desk --source-option video_size=1280x720");

    private CaptureCommand() {
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        final KafkaCliOptions kafka = new KafkaCliOptions();
        final Map<String, Object> settings;
        final List<String> sources = new ArrayList<>();
        final List<String> ids = new ArrayList<>();
        final List<Map<String, String>> sourceOptions = new ArrayList<>();
        try {
            if (!kafka.parseAll(args, HELP, CaptureConfig::describe, out, (as, i) -> switch (as[i]) {
                case "--source" -> {
                    sources.add(KafkaCliOptions.value(as, i + 1, as[i]));
                    sourceOptions.add(new LinkedHashMap<>());
                    yield i + 1;
                }
                case "--stream-id" -> {
                    ids.add(KafkaCliOptions.value(as, i + 1, as[i]));
                    yield i + 1;
                }
                case "--source-option" -> {
                    final String kv = KafkaCliOptions.value(as, i + 1, as[i]);
                    final int eq = kv.indexOf('=');
                    if (eq < 1 || sourceOptions.isEmpty()) {
                        throw new IllegalArgumentException("--source-option takes KEY=VALUE after a --source, got '"
                                + kv + "'");
                    }
                    sourceOptions.get(sourceOptions.size() - 1).put(kv.substring(0, eq), kv.substring(eq + 1));
                    yield i + 1;
                }
                case "--fps" -> kafka.set(CaptureConfig.FPS, as, i);
                case "--max-size" -> {
                    final String v = KafkaCliOptions.value(as, i + 1, as[i]);
                    final String[] wh = v.toLowerCase(java.util.Locale.ROOT).split("x");
                    if (wh.length != 2) {
                        throw new IllegalArgumentException("--max-size takes WxH, got '" + v + "'");
                    }
                    kafka.put(CaptureConfig.MAX_WIDTH, wh[0].strip());
                    kafka.put(CaptureConfig.MAX_HEIGHT, wh[1].strip());
                    yield i + 1;
                }
                case "--quality" -> kafka.set(CaptureConfig.JPEG_QSCALE, as, i);
                case "--fast" -> {
                    kafka.put(CaptureConfig.REALTIME, "false");
                    yield i;
                }
                case "--decoder-threads" -> kafka.set(CaptureConfig.DECODER_THREADS, as, i);
                case "--first-sequence" -> kafka.set(CaptureConfig.FIRST_SEQUENCE, as, i);
                case "--metrics-port" -> kafka.set(CaptureConfig.METRICS_PORT, as, i);
                default -> -1;
            })) {
                return 0;
            }
            settings = kafka.settings();
            if (sources.isEmpty()) {
                throw new IllegalArgumentException("at least one --source is required");
            }
            if (ids.size() != sources.size()) {
                throw new IllegalArgumentException("give one --stream-id per --source (" + sources.size()
                        + " sources, " + ids.size() + " stream ids)");
            }
        } catch (final IllegalArgumentException | IOException e) {
            err.println("scissor capture: " + e.getMessage() + "\n\n" + HELP);
            return 2;
        }
        final CaptureConfig config;
        final List<CaptureStage.Source> streams = new ArrayList<>();
        try {
            config = new CaptureConfig(settings);
            for (int i = 0; i < sources.size(); i++) {
                streams.add(new CaptureStage.Source(ids.get(i),
                        SourceSpec.parse(sources.get(i)).withOptions(sourceOptions.get(i))));
            }
        } catch (final ConfigException | IllegalArgumentException e) {
            err.println("scissor capture: " + e.getMessage()
                    + "\n(run 'scissor capture --help', or --describe-config for every setting)");
            return 2;
        }
        try {
            kafka.ensureTopics(List.of(config.framesTopic()), EncoderConfig.MAX_REQUEST_BYTES, "capture", out);
            return serve(config, streams, kafka.runForSeconds, out, err);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (final IOException | RuntimeException e) {
            err.println("scissor capture: " + e.getMessage());
            return 1;
        }
    }

    private static int serve(final CaptureConfig config, final List<CaptureStage.Source> streams,
                             final long runForSeconds, final PrintStream out, final PrintStream err)
            throws IOException, InterruptedException {
        // try-with-resources skips a null endpoint (metrics port -1). serve closes the stage
        // before its final report; closing again here is a no-op, and covers a failed start. The
        // registry, owned here, closes after the stage, the endpoint last.
        try (HttpService http = MetricsEndpoint.start("capture", config.metricsBind(), config.metricsPort(),
                CaptureConfig.METRICS_PORT, CaptureConfig.METRICS_BIND, out);
             Metrics metrics = new Metrics();
             CaptureStage stage = new CaptureStage(config, streams)) {
            if (http != null) {
                stage.registerMetrics(metrics.expose(http));
            }
            return serve(config, streams, stage, runForSeconds, out, err);
        }
    }

    private static int serve(final CaptureConfig config, final List<CaptureStage.Source> streams,
                             final CaptureStage stage, final long runForSeconds, final PrintStream out,
                             final PrintStream err) throws IOException, InterruptedException {
        final Thread hook = new Thread(stage::close, "scissor-capture-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stage.start();
        out.printf("scissor capture: %d stream(s) -> %s at %s fps%n", streams.size(), config.framesTopic(),
                config.fps() == 0 ? "every frame" : config.fps());
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
            out.printf("scissor capture: %d frames delivered (%.1f/s), %d failed%n", count,
                    (count - lastCount) * 1e9 / (now - lastReport), stage.failedSends());
            for (final CaptureStage.StreamStatus s : stage.status()) {
                out.printf("  %-16s %-8s %6d frames  last seq %s  reconnects %d%n", s.streamId(), s.state(),
                        s.frames(), seq(s.lastSequence()), s.reconnects());
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
            out.printf("scissor capture: %s %s after %d frames, last sequence %s, %d reconnects%n", s.streamId(),
                    s.state().name().toLowerCase(java.util.Locale.ROOT), s.frames(), seq(s.lastSequence()),
                    s.reconnects());
        }
        out.printf("scissor capture: %d frames delivered, %d failed%n", stage.framesSent(), stage.failedSends());
        if (stage.failedStreams() > 0 || stage.failedSends() > 0) {
            err.println("scissor capture: " + stage.failedStreams() + " stream(s) failed, " + stage.failedSends()
                    + " frame(s) not delivered" + (stage.lastSendError() == null ? ""
                    : " (last error: " + stage.lastSendError() + ")") + "; see the log");
            return 1;
        }
        return 0;
    }

    private static String seq(final long s) {
        return s == SequenceNumbers.NONE ? "-" : Long.toString(s);
    }
}
