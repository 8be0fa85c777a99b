package dev.scissor.bench;

import static dev.scissor.bench.EncoderBenchCosts.cpuName;
import static dev.scissor.bench.EncoderBenchCosts.loadAverage;
import static dev.scissor.bench.EncoderBenchCosts.median;
import static dev.scissor.bench.EncoderBenchCosts.perFrame;
import static dev.scissor.bench.EncoderBenchCosts.processCpu;
import static dev.scissor.bench.EncoderBenchCosts.row;
import static dev.scissor.bench.EncoderBenchCosts.threadCpu;

import dev.scissor.bench.EncoderBenchCosts.Cost;
import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.encoder.capture.CaptureOptions;
import dev.scissor.encoder.capture.CapturedFrame;
import dev.scissor.encoder.capture.FfmpegFrameSource;
import dev.scissor.encoder.capture.SourceSpec;
import dev.scissor.encoder.media.DecodedImage;
import dev.scissor.encoder.media.Ffmpeg;
import dev.scissor.encoder.media.FfmpegImageDecoder;
import dev.scissor.encoder.media.FfmpegJpegEncoder;
import dev.scissor.encoder.media.ImageFormat;
import dev.scissor.encoder.media.ImageIoJpegEncoder;
import dev.scissor.encoder.media.JpegEncoder;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.ImagePreprocessor;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scissor bench-encoder}: what capture and encoding cost on this machine, and how many
 * 2 fps cameras it sustains end to end.
 *
 * <ol>
 *   <li>Capture: decoding the clip (vtest.avi, else a synthetic MPEG-4 clip), decoding plus the
 *       capture path (swscale to BGR at the output size, sampling, copying), and JPEG compression
 *       with FFmpeg and with ImageIO.
 *   <li>Encoder: JPEG decoding plus preprocessing, and the model at batch 1 and 8 on CPU, with
 *       ONNX Runtime on every core and on one thread.
 *   <li>The number of 2 fps cameras the machine's CPU budget covers, from those costs.
 *   <li>A check of that number: the capture stage and one encoder worker per core with an
 *       in-process broker, with that many cameras (files paced at real time) for a while; whether
 *       this machine kept up, and the CPU per camera-second measured per thread group, from which
 *       the cameras of a dedicated machine follow (the broker's threads are left out).
 * </ol>
 *
 * <p>Times are medians of repeated runs; the build machines are small and shared, so expect noise.
 */
@Command(
        name = "bench-encoder",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "capture decode, encoder ms/frame and 2 fps cameras per machine, end to end",
            "",
            "Measures on this machine (CPU): capture decode ms/frame of a real clip, JPEG compression, the "
                    + "encoder's decode+preprocess and model ms/frame at batch 1 and 8, derives how many 2 fps cameras "
                    + "the cores sustain end to end, and checks that number by running the capture stage and one "
                    + "encoder worker per core (1 intra-op thread each) with an in-process broker, measuring CPU per "
                    + "thread group.",
            ""
        })
final class EncoderBenchCommand implements Callable<Integer> {

    static final double FPS = 2.0;

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Option(
            names = "--clip",
            paramLabel = "FILE",
            description = "the clip (default: SCISSOR_TEST_CLIP, /opt/opencv-clip/vtest.avi, else a synthetic "
                    + "640x480 MPEG-4 clip); fetch vtest.avi with encoder/scripts/fetch-test-clip.sh")
    private Path clip;

    @Option(names = "--repeats", paramLabel = "N", description = "repeats of each capture measurement (default 3)")
    private int repeats = 3;

    @Option(
            names = "--e2e-seconds",
            paramLabel = "S",
            description = "length of the end-to-end check (default 60; at least 10)")
    private int e2eSeconds = 60;

    @Option(
            names = "--cameras",
            paramLabel = "N",
            description = "cameras in the end-to-end check (default: the derived number)")
    private Integer cameras;

    @Option(names = "--no-e2e", description = "skip the end-to-end check")
    private boolean noE2e;

    @Option(
            names = "--utilisation",
            paramLabel = "U",
            converter = CommandLines.FiniteDouble.class,
            description = "share of the CPU budget the derivation may plan for (default 0.8)")
    private double utilisation = 0.8;

    private final PrintStream out;
    private final PrintStream err;

    EncoderBenchCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new EncoderBenchCommand(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (!(utilisation > 0 && utilisation <= 1)) {
            throw CommandLines.usage(spec.commandLine(), "--utilisation must be in (0, 1], got %s", utilisation);
        }
        final int rep = Math.max(1, repeats);
        final int seconds = Math.max(10, e2eSeconds);
        final int cams = cameras == null ? -1 : Math.max(1, cameras);
        try {
            // ONNX Runtime's native start-up needs more than the default 1 MiB stack (see LargeStack).
            return LargeStack.call(
                    "scissor-bench-encoder", () -> bench(clip, rep, !noE2e, seconds, cams, utilisation, out));
        } catch (final Exception e) {
            err.println("scissor bench-encoder: " + e);
            return 1;
        }
    }

    private static int bench(
            final Path clipArg,
            final int repeats,
            final boolean e2e,
            final int e2eSeconds,
            final int camerasArg,
            final double utilisation,
            final PrintStream out)
            throws Exception {
        Ffmpeg.init();
        final int cores = Runtime.getRuntime().availableProcessors();
        out.printf(
                "scissor bench-encoder: %d cores, %s, Java %s, load average %s%n",
                cores, cpuName(), System.getProperty("java.version"), loadAverage());
        out.println("  (wall = elapsed time; cpu = CPU time, of the process for capture (FFmpeg may decode on its own");
        out.println("   threads), of the measuring thread otherwise; on a shared machine trust the cpu figures: the");
        out.println("   derivation below uses them)");
        final Path clip = clipArg != null ? clipArg : EncoderBenchClip.defaultClip(out);

        // ---------------------------------------------------------------- capture
        out.println();
        out.println("capture (" + clip.getFileName() + ")");
        final Cost[] decodeOnly = new Cost[repeats];
        final Cost[] capturePath = new Cost[repeats];
        final Cost[] captureAuto = new Cost[repeats];
        double srcFps = 0;
        int srcW = 0;
        int srcH = 0;
        String codec = "";
        long decodedFrames = 0;
        long converted = 0;
        List<CapturedFrame> sampled = List.of();
        for (int r = 0; r < repeats; r++) {
            try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(clip.toString())) {
                g.setVideoOption("threads", "1");
                g.startUnsafe();
                srcFps = g.getFrameRate();
                srcW = g.getImageWidth();
                srcH = g.getImageHeight();
                codec = g.getVideoCodecName();
                long n = 0;
                final long t0 = System.nanoTime();
                final long c0 = processCpu();
                while (g.grabFrame(false, true, false, false) != null) {
                    n++;
                }
                decodeOnly[r] = new Cost(
                        (System.nanoTime() - t0) / 1e6 / Math.max(1, n), (processCpu() - c0) / 1e6 / Math.max(1, n));
                decodedFrames = n;
                g.releaseUnsafe();
            }
            final List<CapturedFrame> frames = new ArrayList<>();
            for (final int threads : new int[] {1, 0}) {
                final long t0 = System.nanoTime();
                final long c0 = processCpu();
                final long n;
                try (FfmpegFrameSource src = FfmpegFrameSource.open(
                        SourceSpec.parse(clip.toString()),
                        CaptureOptions.DEFAULT.withRealtime(false).withDecoderThreads(threads))) {
                    CapturedFrame f;
                    while ((f = src.next()) != null) {
                        if (threads == 1) {
                            frames.add(f);
                        }
                    }
                    n = src.framesDecoded();
                    converted = src.framesConverted();
                }
                final Cost cost = new Cost(
                        (System.nanoTime() - t0) / 1e6 / Math.max(1, n), (processCpu() - c0) / 1e6 / Math.max(1, n));
                if (threads == 1) {
                    capturePath[r] = cost;
                } else {
                    captureAuto[r] = cost;
                }
            }
            sampled = frames;
        }
        final int outW = sampled.get(0).width();
        final int outH = sampled.get(0).height();
        out.printf(
                Locale.ROOT,
                "  source %s %dx%d at %.1f fps, %d frames; sampled at %.0f fps: %d frames at %dx%d "
                        + "(%d converted to BGR)%n",
                codec,
                srcW,
                srcH,
                srcFps,
                decodedFrames,
                FPS,
                sampled.size(),
                outW,
                outH,
                converted);
        final Cost decode = median(decodeOnly);
        final Cost capture = median(capturePath);
        row(out, "decode only, 1 decoder thread, per decoded frame", decode);
        row(out, "capture path (decode, sample, swscale, copy), per decoded frame", capture);
        row(out, "capture path with FFmpeg's automatic decoder threads", median(captureAuto));

        final List<byte[]> jpegs = new ArrayList<>();
        final Cost ffJpeg;
        final Cost ioJpeg;
        final long[] ffBytes = new long[1];
        final long[] ioBytes = new long[1];
        try (JpegEncoder ff = new FfmpegJpegEncoder(FfmpegJpegEncoder.DEFAULT_QSCALE);
                JpegEncoder io = new ImageIoJpegEncoder(0.75f)) {
            ffJpeg = perFrame(sampled, ff, repeats, ffBytes);
            ioJpeg = perFrame(sampled, io, repeats, ioBytes);
            for (final CapturedFrame f : sampled) {
                jpegs.add(ff.encode(f.bgr(), f.width(), f.height()));
            }
        }
        row(
                out,
                String.format(
                        Locale.ROOT,
                        "JPEG, FFmpeg mjpeg qscale %d (%.1f KB)",
                        FfmpegJpegEncoder.DEFAULT_QSCALE,
                        ffBytes[0] / 1024.0),
                ffJpeg);
        row(out, String.format(Locale.ROOT, "JPEG, javax.imageio quality 0.75 (%.1f KB)", ioBytes[0] / 1024.0), ioJpeg);

        // ---------------------------------------------------------------- encoder
        out.println();
        final EncoderModelDescriptor d = EncoderModelDescriptor.defaultDescriptor();
        final Path model = d.resolveModel(ModelStore.fromEnvironment());
        out.printf(
                "encoder (%s, %dx%dx%d, ONNX Runtime %s on CPU)%n",
                d.id(),
                d.gridHeight(),
                d.gridWidth(),
                d.tokenDim(),
                ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion());
        final ImagePreprocessor pre = ImagePreprocessor.forDescriptor(d);
        final FloatBuffer batch8 = pre.allocate(8);
        final Cost[] dec = new Cost[repeats];
        final Cost[] prep = new Cost[repeats];
        try (FfmpegImageDecoder decoder = new FfmpegImageDecoder(1L << 26, 1 << 26)) {
            for (int r = 0; r < repeats; r++) {
                long wallDec = 0;
                long cpuDec = 0;
                long wallPre = 0;
                long cpuPre = 0;
                for (int i = 0; i < jpegs.size(); i++) {
                    final long t0 = System.nanoTime();
                    final long c0 = threadCpu();
                    final DecodedImage img = decoder.decode(ImageFormat.JPEG, ByteBuffer.wrap(jpegs.get(i)), 0, 0);
                    final long t1 = System.nanoTime();
                    final long c1 = threadCpu();
                    pre.preprocess(
                            img.pixels(),
                            img.width(),
                            img.height(),
                            img.stride(),
                            ImagePreprocessor.PixelFormat.BGR24,
                            batch8,
                            i % 8);
                    wallDec += t1 - t0;
                    cpuDec += c1 - c0;
                    wallPre += System.nanoTime() - t1;
                    cpuPre += threadCpu() - c1;
                }
                dec[r] = new Cost(wallDec / 1e6 / jpegs.size(), cpuDec / 1e6 / jpegs.size());
                prep[r] = new Cost(wallPre / 1e6 / jpegs.size(), cpuPre / 1e6 / jpegs.size());
            }
        }
        final Cost jpegDecode = median(dec);
        final Cost preprocess = median(prep);
        row(out, "JPEG decode to BGR (FFmpeg)", jpegDecode);
        row(
                out,
                String.format(
                        Locale.ROOT,
                        "preprocess %dx%d -> 3x%dx%d (direct buffers)",
                        outW,
                        outH,
                        d.inputHeight(),
                        d.inputWidth()),
                preprocess);
        final Map<String, Cost> modelCost = new LinkedHashMap<>();
        for (final int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
            try (OnnxVisionEncoder enc = OnnxVisionEncoder.open(d, model, OnnxVisionEncoder.Options.cpu(threads))) {
                for (final int b : new int[] {1, 8}) {
                    final int runs = b == 1 ? 30 : 8;
                    final Cost[] ms = new Cost[runs];
                    for (int r = -3; r < runs; r++) {
                        final long t0 = System.nanoTime();
                        final long c0 = threadCpu();
                        final long p0 = processCpu();
                        enc.encode(batch8, b);
                        if (r >= 0) {
                            // one thread: ONNX Runtime computes on the calling thread; more: count the process
                            final long cpu = threads == 1 ? threadCpu() - c0 : processCpu() - p0;
                            ms[r] = new Cost((System.nanoTime() - t0) / 1e6 / b, cpu / 1e6 / b);
                        }
                    }
                    final Cost c = median(ms);
                    modelCost.put(threads + "/" + b, c);
                    row(
                            out,
                            String.format(
                                    Locale.ROOT,
                                    "model, batch %d, %d intra-op thread%s",
                                    b,
                                    threads,
                                    threads > 1 ? "s" : ""),
                            c);
                }
            }
        }

        // ---------------------------------------------------------------- derivation
        out.println();
        final Cost model8 = modelCost.get("1/8");
        final double captureCpu = srcFps * capture.cpuMs() + FPS * ffJpeg.cpuMs();
        final double encoderCpu = FPS * (jpegDecode.cpuMs() + preprocess.cpuMs() + model8.cpuMs());
        final double perCamera = captureCpu + encoderCpu;
        final double budget = cores * 1000.0 * utilisation;
        final int derived = (int) Math.floor(budget / perCamera);
        out.println("2 fps cameras per machine, from CPU time (ms of CPU per camera per second of video)");
        out.printf(
                Locale.ROOT,
                "  capture  %4.1f fps x %.2f ms capture path + %.0f fps x %.2f ms JPEG           = %6.1f%n",
                srcFps,
                capture.cpuMs(),
                FPS,
                ffJpeg.cpuMs(),
                captureCpu);
        out.printf(
                Locale.ROOT,
                "  encoder  %.0f fps x (%.2f decode + %.2f preprocess + %.2f model, batch 8, 1 thread) = %6.1f%n",
                FPS,
                jpegDecode.cpuMs(),
                preprocess.cpuMs(),
                model8.cpuMs(),
                encoderCpu);
        out.printf(
                Locale.ROOT,
                "  per camera %.1f ms/s; %d cores x 1000 ms x %.0f%% utilisation = %.0f ms/s  ->  %d cameras%n",
                perCamera,
                cores,
                utilisation * 100,
                budget,
                derived);
        out.println(
                "  assumptions: cameras like the clip (resolution, codec, frame rate); the broker on another machine;");
        out.println("  Kafka clients, GC and JIT within the remaining " + Math.round((1 - utilisation) * 100)
                + "%; one encoder worker per core with one intra-op");
        out.println("  thread each (scissor encoder --workers " + cores + " --threads 1); no GPU.");

        if (!e2e) {
            return 0;
        }
        final int cameras = camerasArg > 0 ? camerasArg : Math.max(1, derived);
        out.println();
        EncoderBenchEndToEnd.run(clip, cameras, e2eSeconds, utilisation, out);
        return 0;
    }
}
