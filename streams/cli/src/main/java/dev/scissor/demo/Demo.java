package dev.scissor.demo;

import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.WindowResult;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.http.HttpService;
import dev.scissor.kafka.KafkaTopics;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.CaptureStage;
import dev.scissor.pipeline.EncoderConfig;
import dev.scissor.pipeline.EncoderWorkers;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.ScissorSerdes;
import dev.scissor.schemas.TensorBytes;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.serve.QaService;
import dev.scissor.serve.ServeConfig;
import dev.scissor.streams.CompressorApp;
import dev.scissor.streams.CompressorConfig;
import dev.scissor.streams.CompressorTopology;
import dev.scissor.testkit.EmbeddedKafka;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
     */
    public record Options(
            String source,
            String streamId,
            String bootstrap,
            Path outDir,
            boolean realtime,
            double maxSeconds,
            Map<String, Object> compressorSettings,
            boolean serve) {}

    /** Send times kept for the latency of windows still to come (a fast file runs far ahead). */
    private static final int SENT_TIMES_HELD = 1 << 16;

    private static final List<String> TOPICS = List.of("frames", "tokens", "windows", "dlq");

    private final Options options;
    private final PrintStream out;
    private final long runId = System.currentTimeMillis();

    /* What the watcher saw, by frame sequence. */
    private final ConcurrentSkipListMap<Long, byte[]> jpegs = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, Long> sentAt = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, float[]> frameTokens = new ConcurrentSkipListMap<>();
    private final java.util.concurrent.atomic.AtomicLong tokenFramesSeen = new java.util.concurrent.atomic.AtomicLong();
    private volatile long firstTokenSequence = Long.MAX_VALUE;
    private final List<CompressedWindow> windows = new CopyOnWriteArrayList<>();
    private final List<Long> windowLatencyMs = new CopyOnWriteArrayList<>();
    private final AtomicReference<FrameTokens> gridShape = new AtomicReference<>();
    private volatile long deadLetters;
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
                QaService qa = new QaService(new ServeConfig(Map.of(
                        "bootstrap.servers",
                        bootstrap,
                        ServeConfig.PORT,
                        options.serve() ? 8080 : 0,
                        ServeConfig.BIND,
                        "127.0.0.1",
                        ServeConfig.COMPRESSOR_URLS,
                        "http://127.0.0.1:" + http.port())));
                Watcher watcher = new Watcher(bootstrap, compressorConfig.windowFrames())) {
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
                    progress(capture.framesSent(), encoder, compressor, t0);
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
                            || tokenFramesSeen.get() < encoder.tokensOut())
                    && System.nanoTime() < drainDeadline) {
                failFast(encoder, compressor);
                Thread.sleep(200);
            }
            Thread.sleep(1500); // the last commit makes the last windows visible to read_committed
            progress(captured, encoder, compressor, t0);
            out.println();
            deadLetters = encoder.deadLetters() + watcher.compressorDeadLetters();
            final DemoSummary summary =
                    summarize(captured, captureSeconds, encoder, compressorConfig, qa, (System.nanoTime() - t0) / 1e9);
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
            final long captured, final EncoderWorkers encoder, final CompressorApp compressor, final long t0) {
        long in = 0;
        long outTokens = 0;
        for (final CompressedWindow w : windows) {
            in += w.getStats().getTokensIn();
            outTokens += w.getStats().getTokensOut();
        }
        final long[] lat =
                windowLatencyMs.stream().mapToLong(Long::longValue).sorted().toArray();
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

    private DemoSummary summarize(
            final long captured,
            final double captureSeconds,
            final EncoderWorkers encoder,
            final CompressorConfig config,
            final QaService qa,
            final double elapsed)
            throws Exception {
        if (windows.isEmpty()) {
            throw new IllegalStateException("no window came out: " + captured + " frames captured, "
                    + encoder.tokensOut() + " encoded; a window needs " + config.windowFrames()
                    + " frames (use a longer source, or --set scissor.window.frames=N)");
        }
        final List<CompressedWindow> ws = new ArrayList<>(windows);
        ws.sort((a, b) -> Long.compare(a.getLastSequence(), b.getLastSequence()));
        final long firstSeq = Math.min(firstTokenSequence, ws.get(0).getFirstSequence());
        final double fps = new CaptureConfig(Map.of("bootstrap.servers", "x")).fps();
        final List<DemoPictures.WindowPoint> points = new ArrayList<>();
        final int[] outs = new int[ws.size()];
        long tokensIn = 0;
        long tokensOut = 0;
        long spatialTokens = 0;
        final long[] computeMicros = new long[ws.size()];
        final Map<String, Integer> reasons = new TreeMap<>();
        for (int i = 0; i < ws.size(); i++) {
            final CompressedWindow w = ws.get(i);
            points.add(new DemoPictures.WindowPoint(
                    (w.getLastSequence() - firstSeq + 1) / fps,
                    w.getStats().getTokensIn(),
                    w.getStats().getTokensOut()));
            outs[i] = w.getStats().getTokensOut();
            tokensIn += w.getStats().getTokensIn();
            tokensOut += w.getStats().getTokensOut();
            spatialTokens += w.getStats().getSpatialTokens();
            computeMicros[i] = w.getStats().getComputeMicros();
            reasons.merge(w.getEmitReason().name(), 1, Integer::sum);
        }
        final Path chart = options.outDir().resolve("tokens_per_window.png");
        DemoPictures.tokensPerWindow(
                chart,
                points,
                String.format(
                        Locale.ROOT,
                        "%s: tokens per window of %d frames (%.0f s), every %d frames: %,d in -> %,d out (%.1f%%)",
                        options.streamId(),
                        config.windowFrames(),
                        config.windowFrames() / fps,
                        config.hopFrames(),
                        tokensIn,
                        tokensOut,
                        100.0 * tokensOut / tokensIn));

        // The pictures show the newest window (its frames are still held) and its median frame.
        final FrameTokens shape = gridShape.get();
        final int n = shape.getGridHeight() * shape.getGridWidth();
        final int dim = shape.getTokenDim();
        CompressedWindow pictured = null;
        for (int i = ws.size() - 1; i >= 0 && pictured == null; i--) {
            if (frameTokens.keySet().containsAll(ws.get(i).getFrameSequences())
                    && jpegs.keySet().containsAll(ws.get(i).getFrameSequences())) {
                pictured = ws.get(i);
            }
        }
        if (pictured == null) {
            throw new IllegalStateException("no window's frames were held for the pictures");
        }
        final List<Long> seqs = pictured.getFrameSequences();
        final float[] video = new float[seqs.size() * n * dim];
        final List<BufferedImage> images = new ArrayList<>();
        for (int f = 0; f < seqs.size(); f++) {
            System.arraycopy(frameTokens.get(seqs.get(f)), 0, video, f * n * dim, n * dim);
            images.add(ImageIO.read(new ByteArrayInputStream(jpegs.get(seqs.get(f)))));
        }
        // The same computation as the compressor's (deterministic), for the per-token assignment
        // that the windows topic does not carry.
        final WindowResult again = Scissor.compress(video, seqs.size(), n, dim, config.params());
        if (again.tokenCount() != pictured.getTokenCount()) {
            throw new IllegalStateException("recomputing window " + seqs + " gave " + again.tokenCount()
                    + " tokens, the compressor emitted " + pictured.getTokenCount());
        }
        final Integer[] order = new Integer[seqs.size()];
        for (int f = 0; f < order.length; f++) {
            order[f] = f;
        }
        Arrays.sort(order, (x, y) -> Integer.compare(again.spatialCounts()[x], again.spatialCounts()[y]));
        final int pf = order[order.length / 2];
        final long k = seqs.get(pf);
        final int[] labels = Arrays.copyOfRange(again.spatialLabels(), pf * n, (pf + 1) * n);
        final List<DemoPictures.KeptToken> kept = new ArrayList<>();
        for (int i = 0; i < pictured.getTokenCount(); i++) {
            kept.add(new DemoPictures.KeptToken(
                    pictured.getMeanRow().get(i),
                    pictured.getMeanCol().get(i),
                    pictured.getMergedCounts().get(i)));
        }
        final int components = again.spatialCounts()[pf];
        final Path picture = options.outDir().resolve("components.png");
        DemoPictures.components(
                picture,
                images.get(pf),
                shape.getGridHeight(),
                shape.getGridWidth(),
                labels,
                components,
                String.format(
                        Locale.ROOT,
                        "%s, frame %d (t = %.1f s): LLaVA-Scissor, tau %.2f",
                        options.streamId(),
                        k - firstSeq,
                        (k - firstSeq) / fps,
                        config.params().tau()),
                kept,
                String.format(
                        Locale.ROOT,
                        "its window (frames %d-%d): %,d tokens -> %d kept (disc area = merged)",
                        pictured.getFirstSequence() - firstSeq,
                        pictured.getLastSequence() - firstSeq,
                        pictured.getStats().getTokensIn(),
                        pictured.getTokenCount()));
        final long[] firstIndex = new long[again.tokenCount()];
        for (int j = 0; j < firstIndex.length; j++) {
            firstIndex[j] = again.firstFrameSeq()[j];
        }
        final Path strip = options.outDir().resolve("window.png");
        DemoPictures.windowStrip(
                strip,
                images,
                shape.getGridHeight(),
                shape.getGridWidth(),
                again.assignment(),
                firstIndex,
                String.format(
                        Locale.ROOT,
                        "%s, the window of frames %d-%d: %,d tokens -> %d kept%n"
                                + "coloured: a token that starts a new kept token at that frame; grey: merged into a "
                                + "token kept from an earlier frame",
                        options.streamId(),
                        pictured.getFirstSequence() - firstSeq,
                        pictured.getLastSequence() - firstSeq,
                        pictured.getStats().getTokensIn(),
                        pictured.getTokenCount()));

        final DemoFind.Outcome find =
                DemoFind.run(qa, options.streamId(), images, seqs, pf, firstSeq, options.outDir());
        final long[] lat =
                windowLatencyMs.stream().mapToLong(Long::longValue).sorted().toArray();
        final int[] sortedOuts = outs.clone();
        Arrays.sort(sortedOuts);
        return new DemoSummary(
                options.streamId(),
                options.source(),
                encoder.model().descriptor().id(),
                encoder.stages().get(0).executionProvider(),
                shape.getGridHeight() * shape.getGridWidth(),
                shape.getTokenDim(),
                config.windowFrames(),
                config.hopFrames(),
                config.params().tau(),
                captured,
                captureSeconds,
                encoder.tokensOut(),
                ws.size(),
                reasons,
                tokensIn,
                spatialTokens,
                tokensOut,
                sortedOuts[0],
                sortedOuts[sortedOuts.length / 2],
                sortedOuts[sortedOuts.length - 1],
                percentile(sorted(computeMicros), 0.5) / 1000.0,
                percentile(lat, 0.5),
                percentile(lat, 0.95),
                lat.length == 0 ? -1 : lat[lat.length - 1],
                deadLetters,
                encoder.encodeNanos() / 1e6 / Math.max(1, encoder.tokensOut()),
                elapsed,
                picture,
                strip,
                chart,
                k - firstSeq,
                components,
                find);
    }

    private static long percentile(final long[] sorted, final double q) {
        return sorted.length == 0 ? -1 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private static long[] sorted(final long[] a) {
        final long[] s = a.clone();
        Arrays.sort(s);
        return s;
    }

    /**
     * Reads the three topics as a consumer of the pipeline would: the frames (kept for the
     * pictures), the tokens (kept for the newest windows, whose components the pictures show) and the windows
     * (read committed), on its own thread.
     */
    private final class Watcher implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long dlq;
        private final int heldFrames;

        Watcher(final String bootstrap, final int heldFrames) {
            this.heldFrames = heldFrames;
            final Map<String, Object> p = new LinkedHashMap<>();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, CompressorTopology.MAX_MESSAGE_BYTES);
            p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, CompressorTopology.MAX_MESSAGE_BYTES);
            this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            final List<TopicPartition> parts = new ArrayList<>();
            TOPICS.forEach(t -> parts.add(new TopicPartition(t, 0)));
            consumer.assign(parts);
            consumer.seekToEnd(parts); // only this run's records, also on a shared broker
            parts.forEach(consumer::position);
            this.thread = new Thread(this::loop, "scissor-demo-watcher");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        long compressorDeadLetters() {
            return dlq;
        }

        private void loop() {
            final var frames = ScissorSerdes.videoFrame().deserializer();
            final var tokens = ScissorSerdes.frameTokens().deserializer();
            final var windowSerde = ScissorSerdes.compressedWindow().deserializer();
            while (running) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!options.streamId().equals(r.key())) {
                        continue;
                    }
                    switch (r.topic()) {
                        case "frames" -> {
                            final VideoFrame f = frames.deserialize(r.topic(), r.value());
                            sentAt.put(f.getSequence(), r.timestamp());
                            trim(sentAt, SENT_TIMES_HELD);
                            final byte[] img = new byte[f.getImage().remaining()];
                            f.getImage().duplicate().get(img);
                            jpegs.put(f.getSequence(), img);
                            trim(jpegs, 2 * heldFrames);
                        }
                        case "tokens" -> {
                            final FrameTokens t = tokens.deserialize(r.topic(), r.value());
                            gridShape.compareAndSet(null, t);
                            if (tokenFramesSeen.getAndIncrement() == 0) {
                                firstTokenSequence = t.getSequence();
                            }
                            frameTokens.put(t.getSequence(), TensorBytes.decode(t));
                            trim(frameTokens, 2 * heldFrames);
                        }
                        case "windows" -> {
                            final CompressedWindow w = windowSerde.deserialize(r.topic(), r.value());
                            final Long sent = sentAt.get(w.getLastSequence());
                            if (sent != null) {
                                windowLatencyMs.add(System.currentTimeMillis() - sent);
                            }
                            windows.add(w);
                        }
                        case "dlq" -> dlq++;
                        default -> {}
                    }
                }
            }
        }

        /** Keeps the newest {@code limit} entries, so a long run stays bounded. */
        private void trim(final ConcurrentSkipListMap<Long, ?> m, final int limit) {
            while (m.size() > limit) {
                m.pollFirstEntry();
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
