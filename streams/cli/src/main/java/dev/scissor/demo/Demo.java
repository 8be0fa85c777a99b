package dev.scissor.demo;

import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.http.HttpService;
import dev.scissor.kafka.KafkaTopics;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.CaptureStage;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.pipeline.EncoderWorkers;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.serve.QaService;
import dev.scissor.serve.ServeConfig;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.streams.CompressorTopology;
import dev.scissor.testkit.EmbeddedKafka;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The whole pipeline in one process: an in-process KRaft broker (or a given one), capture of a
 * video into {@code frames}, the ONNX encoder into {@code tokens}, the Kafka Streams compressor into
 * {@code windows}, and a consumer that watches all three topics. Shows live progress, then writes a
 * summary and pictures. Owns everything it starts and closes it, in reverse order.
 */
public final class Demo {

    /**
     * What to run.
     *
     * @param source the video: a file, camera, RTSP URL (see {@link SourceSpec#parse})
     * @param streamId the stream id
     * @param bootstrap a broker to use, or {@code null} for an in-process one
     * @param outDir where the pictures and summary go
     * @param realtime pace files at real time (as a live camera would deliver them)
     * @param maxSeconds stop capturing after this long; 0 = until the source ends
     * @param compressorSettings extra compressor settings ({@code scissor.*} keys)
     * @param serve keep the QA service (port 8080) and the compressor's endpoint (8081) up after the
     *     summary, until the process is stopped
     * @param model the encoder (a built-in name or an exported model directory), or {@code null} for
     *     the default
     */
    public record Options(
            String source,
            String streamId,
            String bootstrap,
            Path outDir,
            boolean realtime,
            double maxSeconds,
            Map<String, Object> compressorSettings,
            boolean serve,
            String model) {

        /**
         * Options with the default encoder.
         *
         * @param source the video
         * @param streamId the stream id
         * @param bootstrap a broker, or {@code null}
         * @param outDir where the pictures go
         * @param realtime pace files at real time
         * @param maxSeconds stop capturing after this long; 0 = until the source ends
         * @param compressorSettings extra compressor settings
         * @param serve keep the services up afterwards
         */
        public Options(
                final String source,
                final String streamId,
                final String bootstrap,
                final Path outDir,
                final boolean realtime,
                final double maxSeconds,
                final Map<String, Object> compressorSettings,
                final boolean serve) {
            this(source, streamId, bootstrap, outDir, realtime, maxSeconds, compressorSettings, serve, null);
        }
    }

    private static final List<String> TOPICS = List.of("frames", "tokens", "windows", "dlq");

    private final Options options;
    private final PrintStream out;
    private final long runId = System.currentTimeMillis();

    /** Counted down when everything the demo started is closed (a Ctrl-C with --serve waits for it). */
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

    private Demo(final Options options, final PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * Runs the demo.
     *
     * @param options what to run
     * @param out where progress and the summary go
     * @return the summary
     * @throws Exception when a stage fails (with a message saying what to do)
     */
    public static DemoSummary run(final Options options, final PrintStream out) throws Exception {
        return new Demo(options, out).run();
    }

    private DemoSummary run() throws Exception {
        AvroTrust.trustGeneratedClasses();
        Files.createDirectories(options.outDir());
        final Path stateDir = Files.createTempDirectory("scissor-demo-state");
        final long t0 = System.nanoTime();
        EmbeddedKafka broker = null;
        try {
            final String bootstrap;
            if (options.bootstrap() == null) {
                out.println("scissor demo: starting an in-process Kafka broker (KRaft)...");
                broker = EmbeddedKafka.start();
                bootstrap = broker.bootstrapServers();
            } else {
                bootstrap = options.bootstrap();
            }
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                final Map<String, Integer> partitions = new LinkedHashMap<>();
                TOPICS.forEach(t -> partitions.put(t, 1));
                KafkaTopics.ensure(
                        admin,
                        partitions,
                        (short) 1,
                        Map.of("max.message.bytes", Integer.toString(CompressorTopology.MAX_MESSAGE_BYTES)),
                        Duration.ofSeconds(60));
            }
            out.println("scissor demo: broker " + bootstrap + ", topics " + TOPICS);
            return runPipeline(bootstrap, stateDir, t0);
        } finally {
            try {
                if (broker != null) {
                    broker.close();
                }
                Utils.delete(stateDir.toFile());
            } finally {
                closed.countDown();
            }
        }
    }

    private Map<String, Object> serveSettings(
            final Map<String, Object> serve, final String bootstrap, final int compressorPort) {
        final Map<String, Object> m = new LinkedHashMap<>(serve);
        m.put("bootstrap.servers", bootstrap);
        m.put(ServeConfig.PORT, options.serve() ? 8080 : 0);
        m.put(ServeConfig.BIND, "127.0.0.1");
        m.put(ServeConfig.COMPRESSOR_URLS, "http://127.0.0.1:" + compressorPort);
        return m;
    }

    private DemoSummary runPipeline(final String bootstrap, final Path stateDir, final long t0) throws Exception {
        final Map<String, Object> c = new LinkedHashMap<>(options.compressorSettings());
        c.put("bootstrap.servers", bootstrap);
        c.put(StreamsConfig.APPLICATION_ID_CONFIG, "scissor-demo-" + runId);
        c.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        c.put(CompressorConfig.HTTP_ADVERTISED_HOST, "127.0.0.1");
        final CompressorConfig compressorConfig = new CompressorConfig(c);
        final Map<String, Object> e = new LinkedHashMap<>();
        e.put("bootstrap.servers", bootstrap);
        e.put("group.id", "scissor-demo-encoder-" + runId);
        final Map<String, Object> serve = new LinkedHashMap<>();
        if (options.model() != null) {
            e.put(EncoderConfig.MODEL, options.model());
            serve.put(ServeConfig.ENCODER_MODEL, options.model());
        }
        final Map<String, Object> cap = new LinkedHashMap<>();
        cap.put("bootstrap.servers", bootstrap);
        cap.put(CaptureConfig.REALTIME, Boolean.toString(options.realtime()));
        final CaptureConfig captureConfig = new CaptureConfig(cap);
        final SourceSpec spec = SourceSpec.parse(options.source());

        out.println("scissor demo: loading the encoder (" + new EncoderConfig(e).getString(EncoderConfig.MODEL)
                + "; the first run downloads and converts it)...");
        try (EncoderWorkers encoder = new EncoderWorkers(e, 1);
                HttpService http =
                        HttpService.start("compressor", "127.0.0.1", options.serve() ? 8081 : 0, 4, 64 << 10);
                CompressorApp compressor = new CompressorApp(compressorConfig, http);
                QaService qa = new QaService(new ServeConfig(serveSettings(serve, bootstrap, http.port())));
                DemoWatcher watcher =
                        new DemoWatcher(bootstrap, options.streamId(), TOPICS, compressorConfig.windowFrames())) {
            out.printf(
                    Locale.ROOT,
                    "scissor demo: encoder %s on %s; compressor W=%d H=%d tau=%s%s%n",
                    encoder.model().descriptor().id(),
                    encoder.stages().get(0).executionProvider(),
                    compressorConfig.windowFrames(),
                    compressorConfig.hopFrames(),
                    compressorConfig.params().tau(),
                    compressorConfig.params().budget() == null
                            ? ""
                            : " budget " + compressorConfig.params().budget());
            compressor.start();
            encoder.start();
            watcher.start();
            qa.start();
            if (!compressor.awaitRunning(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the compressor did not start within 60 s (state " + compressor.state()
                        + "); see the log above");
            }
            final long captureStart;
            final long captured;
            try (CaptureStage capture =
                    new CaptureStage(captureConfig, List.of(new CaptureStage.Source(options.streamId(), spec)))) {
                capture.start();
                captureStart = System.nanoTime();
                out.printf(
                        "scissor demo: capturing %s as stream '%s' at %.0f fps%s%n",
                        spec.displayName(),
                        options.streamId(),
                        captureConfig.fps(),
                        options.realtime() ? " (paced at real time)" : "");
                final long deadline =
                        options.maxSeconds() > 0 ? captureStart + (long) (options.maxSeconds() * 1e9) : Long.MAX_VALUE;
                while (!capture.awaitSources(Duration.ofSeconds(2)) && System.nanoTime() < deadline) {
                    progress(capture.framesSent(), encoder, compressor, watcher, t0);
                    failFast(encoder, compressor);
                }
                capture.close();
                captured = capture.framesSent();
                if (capture.failedStreams() > 0 || capture.failedSends() > 0) {
                    throw new IllegalStateException("capture failed for " + spec.displayName() + " ("
                            + capture.failedStreams() + " stream(s) failed, " + capture.failedSends()
                            + " frame(s) not delivered"
                            + (capture.lastSendError() == null ? "" : ", last error " + capture.lastSendError())
                            + "); check the source with: ffprobe "
                            + options.source());
                }
            }
            final double captureSeconds = (System.nanoTime() - captureStart) / 1e9;
            // Drain: every captured frame encoded and compressed, and the windows read.
            final long drainDeadline = System.nanoTime() + 60_000_000_000L;
            while ((encoder.tokensOut() + encoder.deadLetters() < captured
                            || compressor.recordsProcessed() < encoder.tokensOut()
                            || watcher.tokenFramesSeen() < encoder.tokensOut())
                    && System.nanoTime() < drainDeadline) {
                failFast(encoder, compressor);
                Thread.sleep(200);
            }
            Thread.sleep(1500); // the last commit makes the last windows visible to read_committed
            progress(captured, encoder, compressor, watcher, t0);
            out.println();
            final long deadLetters = encoder.deadLetters() + watcher.compressorDeadLetters();
            final DemoSummary summary = DemoReport.summarize(
                    options,
                    watcher,
                    captured,
                    captureSeconds,
                    encoder,
                    compressorConfig,
                    qa,
                    deadLetters,
                    (System.nanoTime() - t0) / 1e9);
            if (options.serve()) {
                summary.print(out);
                serveUntilStopped(qa, http);
            }
            return summary;
        }
    }

    private static void failFast(final EncoderWorkers encoder, final CompressorApp compressor) {
        if (encoder.failure() != null) {
            throw new IllegalStateException("the encoder failed: " + encoder.failure(), encoder.failure());
        }
        if (compressor.failure() != null) {
            throw new IllegalStateException("the compressor failed: " + compressor.failure(), compressor.failure());
        }
    }

    private void progress(
            final long captured,
            final EncoderWorkers encoder,
            final CompressorApp compressor,
            final DemoWatcher watcher,
            final long t0) {
        final List<CompressedWindow> windows = watcher.windows();
        long in = 0;
        long outTokens = 0;
        for (final CompressedWindow w : windows) {
            in += w.getStats().getTokensIn();
            outTokens += w.getStats().getTokensOut();
        }
        final long[] lat = watcher.windowLatencyMs().stream()
                .mapToLong(Long::longValue)
                .sorted()
                .toArray();
        out.printf(
                Locale.ROOT,
                "[%4.0fs] captured %d | encoded %d | compressed %d frames | %d windows | tokens %,d -> "
                        + "%,d (%s) | window latency p50 %s%n",
                (System.nanoTime() - t0) / 1e9,
                captured,
                encoder.tokensOut(),
                compressor.recordsProcessed(),
                windows.size(),
                in,
                outTokens,
                in == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * outTokens / in),
                lat.length == 0 ? "-" : lat[lat.length / 2] + " ms");
    }

    private void serveUntilStopped(final QaService qa, final HttpService compressorHttp) throws InterruptedException {
        final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            stop.countDown();
                            try {
                                closed.await(
                                        60,
                                        java.util.concurrent.TimeUnit.SECONDS); // let the demo close what it started
                            } catch (final InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "scissor-demo-stop"));
        final String s = options.streamId();
        out.printf(
                "scissor demo: serving until Ctrl-C:%n"
                        + "  curl -s localhost:%d/v1/streams%n"
                        + "  curl -s localhost:%d/v1/streams/%s/windows/latest%n"
                        + "  curl -s -X POST localhost:%d/v1/find -d '{\"stream\":\"%s\",\"image\":\"'$(base64 -w0 %s)'\"}'%n"
                        + "  curl -s -X POST localhost:%d/v1/ask -d '{\"stream\":\"%s\",\"question\":\"Who crossed the road?\","
                        + "\"seconds\":30}'%n"
                        + "  curl -s localhost:%d/metrics   (the compressor's: localhost:%d/metrics)%n",
                qa.port(),
                qa.port(),
                s,
                qa.port(),
                s,
                options.outDir().resolve("find_query.jpg"),
                qa.port(),
                s,
                qa.port(),
                compressorHttp.port());
        stop.await();
    }
}
