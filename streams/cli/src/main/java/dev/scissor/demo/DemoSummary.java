package dev.scissor.demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What a demo run measured, printed as a table at its end.
 *
 * @param streamId the stream
 * @param source the video source
 * @param model the encoder model id
 * @param device the encoder's execution provider
 * @param tokensPerFrame encoder tokens per frame
 * @param tokenDim token dimension
 * @param windowFrames W
 * @param hopFrames H
 * @param tau the similarity threshold
 * @param framesCaptured frames captured (after sampling)
 * @param captureSeconds how long the capture ran
 * @param framesEncoded frames encoded
 * @param windowCount windows read from the windows topic
 * @param emitReasons windows by emit reason
 * @param tokensIn tokens into the compressor, over all windows
 * @param spatialTokens tokens left after the spatial step, over all windows
 * @param tokensOut tokens out, over all windows
 * @param minOut fewest tokens out of a window
 * @param medianOut median tokens out of a window
 * @param maxOut most tokens out of a window
 * @param computeMsPerWindow median compressor compute time per window
 * @param latencyP50Ms window latency (last frame sent to window read), median
 * @param latencyP95Ms window latency, 95th percentile
 * @param latencyMaxMs window latency, maximum
 * @param deadLetters dead letters of the encoder and compressor
 * @param encodeMsPerFrame encoder model time per frame
 * @param elapsedSeconds the whole run
 * @param componentsPicture the component picture's path
 * @param windowPicture the window strip's path
 * @param chartPicture the chart's path
 * @param pictureFrame the pictured frame (index from the first frame)
 * @param pictureComponents its spatial components
 * @param find the query-by-example check
 */
public record DemoSummary(
        String streamId,
        String source,
        String model,
        String device,
        int tokensPerFrame,
        int tokenDim,
        int windowFrames,
        int hopFrames,
        double tau,
        long framesCaptured,
        double captureSeconds,
        long framesEncoded,
        int windowCount,
        Map<String, Integer> emitReasons,
        long tokensIn,
        long spatialTokens,
        long tokensOut,
        int minOut,
        int medianOut,
        int maxOut,
        double computeMsPerWindow,
        long latencyP50Ms,
        long latencyP95Ms,
        long latencyMaxMs,
        long deadLetters,
        double encodeMsPerFrame,
        double elapsedSeconds,
        Path componentsPicture,
        Path windowPicture,
        Path chartPicture,
        long pictureFrame,
        int pictureComponents,
        DemoFind.Outcome find) {

    /** Tokens out over tokens in. */
    public double retention() {
        return tokensIn == 0 ? 0 : (double) tokensOut / tokensIn;
    }

    /**
     * Prints the summary table.
     *
     * @param out where to
     */
    public void print(final PrintStream out) {
        final String rule = "-".repeat(78);
        out.println(rule);
        out.println("scissor demo: summary");
        out.println(rule);
        row(out, "source", source + "  (stream '" + streamId + "')");
        row(
                out,
                "frames",
                String.format(
                        Locale.ROOT,
                        "%d captured in %.1f s, %d encoded",
                        framesCaptured,
                        captureSeconds,
                        framesEncoded));
        row(
                out,
                "encoder",
                String.format(
                        Locale.ROOT,
                        "%s on %s: %d tokens x %d dims per frame, %.1f ms/frame",
                        model,
                        device,
                        tokensPerFrame,
                        tokenDim,
                        encodeMsPerFrame));
        row(
                out,
                "compressor",
                String.format(
                        Locale.ROOT,
                        "LLaVA-Scissor, window %d frames, hop %d, tau %.2f",
                        windowFrames,
                        hopFrames,
                        tau));
        row(out, "windows", windowCount + " " + emitReasons);
        row(
                out,
                "tokens in",
                String.format(
                        Locale.ROOT, "%,d  (%,d per full window)", tokensIn, (long) windowFrames * tokensPerFrame));
        row(
                out,
                "after spatial",
                String.format(
                        Locale.ROOT, "%,d  (%.1f%%)", spatialTokens, 100.0 * spatialTokens / Math.max(1, tokensIn)));
        row(
                out,
                "tokens out",
                String.format(
                        Locale.ROOT,
                        "%,d  (%.1f%% retained; per window min %d, median %d, max %d)",
                        tokensOut,
                        100 * retention(),
                        minOut,
                        medianOut,
                        maxOut));
        row(
                out,
                "compute",
                String.format(Locale.ROOT, "%.2f ms per window in the compressor (median)", computeMsPerWindow));
        row(
                out,
                "window latency",
                latencyP50Ms < 0
                        ? "-"
                        : String.format(
                                Locale.ROOT,
                                "p50 %d ms, p95 %d ms, max %d ms (last frame captured -> window readable, exactly once)",
                                latencyP50Ms,
                                latencyP95Ms,
                                latencyMaxMs));
        row(out, "dead letters", Long.toString(deadLetters));
        row(out, "find", find.describe());
        row(
                out,
                "pictures",
                componentsPicture.toAbsolutePath() + "  (frame " + pictureFrame + ": " + tokensPerFrame + " tokens -> "
                        + pictureComponents + " spatial components)");
        row(out, "", windowPicture.toAbsolutePath() + "  (the window's frames: what is new at each)");
        row(out, "", chartPicture.toAbsolutePath() + "  (tokens per window over time)");
        row(out, "", find.picture().toAbsolutePath() + "  (query by example: the crop and where it was found)");
        row(out, "elapsed", String.format(Locale.ROOT, "%.0f s", elapsedSeconds));
        out.println(rule);
    }

    private static void row(final PrintStream out, final String name, final String value) {
        out.printf(Locale.ROOT, "  %-15s %s%n", name, value);
    }
}
