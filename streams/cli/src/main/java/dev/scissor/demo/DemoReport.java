package dev.scissor.demo;

import dev.scissor.compressor.Scissor;
import dev.scissor.compressor.WindowResult;
import dev.scissor.pipeline.CaptureConfig;
import dev.scissor.pipeline.EncoderWorkers;
import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.serve.QaService;
import dev.scissor.streams.CompressorConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/** Turns what the demo's watcher saw into its summary, chart and pictures ({@link Demo}). */
final class DemoReport {

    private DemoReport() {}

    static DemoSummary summarize(
            final Demo.Options options,
            final DemoWatcher seen,
            final long captured,
            final double captureSeconds,
            final EncoderWorkers encoder,
            final CompressorConfig config,
            final QaService qa,
            final long deadLetters,
            final double elapsed)
            throws Exception {
        if (seen.windows().isEmpty()) {
            throw new IllegalStateException("no window came out: " + captured + " frames captured, "
                    + encoder.tokensOut() + " encoded; a window needs " + config.windowFrames()
                    + " frames (use a longer source, or --set scissor.window.frames=N)");
        }
        final List<CompressedWindow> ws = new ArrayList<>(seen.windows());
        ws.sort((a, b) -> Long.compare(a.getLastSequence(), b.getLastSequence()));
        final long firstSeq = Math.min(seen.firstTokenSequence(), ws.get(0).getFirstSequence());
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
        final FrameTokens shape = seen.gridShape();
        final int n = shape.getGridHeight() * shape.getGridWidth();
        final int dim = shape.getTokenDim();
        CompressedWindow pictured = null;
        for (int i = ws.size() - 1; i >= 0 && pictured == null; i--) {
            if (seen.frameTokens().keySet().containsAll(ws.get(i).getFrameSequences())
                    && seen.jpegs().keySet().containsAll(ws.get(i).getFrameSequences())) {
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
            System.arraycopy(seen.frameTokens().get(seqs.get(f)), 0, video, f * n * dim, n * dim);
            images.add(ImageIO.read(new ByteArrayInputStream(seen.jpegs().get(seqs.get(f)))));
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
        final long[] lat = seen.windowLatencyMs().stream()
                .mapToLong(Long::longValue)
                .sorted()
                .toArray();
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
}
