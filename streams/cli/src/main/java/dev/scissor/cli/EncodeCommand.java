package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.io.Npy;
import dev.scissor.encoder.capture.CaptureOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scissor encode}: images or a video through a vision encoder into a token dump.
 *
 * <pre>
 * scissor encode --model DIR|NAME (--images F1.png F2.png ... | --video FILE [--fps 2]) --out TOKENS.npy
 * </pre>
 *
 * <p>Writes float32 {@code [F, N, D]}, one row per frame in the order given (images) or of capture
 * (video, sampled at {@code --fps} of video time). Frames are prepared as the checkpoint's own
 * processor prepares them (the descriptor's resize, rescale and normalisation; an image already at
 * the input size is not resampled). Bad input (a missing file, not an image, an unknown model) is
 * one line on stderr and exit code 2, and no output file.
 */
@Command(
        name = "encode",
        sortOptions = false,
        description = {"encode images or a video with a vision encoder into a token dump [F, N, D]", ""},
        footer = {
            "",
            "examples:",
            "  scissor encode --model models/ov-7b --images a.png b.png --out tokens.npy",
            "  scissor encode --model mnv2-nsfwjs --video clip.mp4 --fps 2 --out tokens.npy"
        })
final class EncodeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR|NAME",
            description = "an exported model directory (scissor export-encoder) or a built-in encoder "
                    + "(mnv2-nsfwjs, mnv2-nsfwjs-136, mnv3-centernet)")
    private String model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Input input;

    /** Exactly one of the two inputs. */
    static final class Input {
        @Option(
                names = "--images",
                arity = "1..*",
                paramLabel = "IMAGE",
                required = true,
                description = "JPEG or PNG files, one frame each, in this order")
        private List<Path> images;

        @Option(names = "--video", paramLabel = "FILE", required = true, description = "a video file")
        private Path video;
    }

    @Option(
            names = "--fps",
            paramLabel = "FPS",
            defaultValue = "2",
            converter = CommandLines.FiniteDouble.class,
            description = "frames per second of video time sampled from --video (default: ${DEFAULT-VALUE}; "
                    + "0 = every frame)")
    private double fps;

    @Option(names = "--out", required = true, paramLabel = "TOKENS.npy", description = "the token dump to write")
    private Path out;

    private final PrintStream stdout;
    private final PrintStream stderr;

    EncodeCommand(final PrintStream stdout, final PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() {
        if (fps < 0 || fps > 1000) {
            throw CommandLines.usage(spec.commandLine(), "--fps must be in [0, 1000], got %s", fps);
        }
        final long t0 = System.nanoTime();
        final TokenEncoding.Tokens tokens;
        final TokenEncoding encoding;
        try {
            encoding = new TokenEncoding(model, stderr);
            // Full-size frames: the checkpoint's processor resizes them to its input, as transformers would.
            tokens = input.video != null
                    ? encoding.video(
                            input.video, CaptureOptions.DEFAULT.withFps(fps).withMaxSize(0, 0))
                    : encoding.images(input.images);
            final Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            final Path tmp = Files.createTempFile(parent, ".encode-", ".npy");
            try {
                Npy.writeFloats(tmp, tokens.values(), tokens.frames(), tokens.tokens(), tokens.dim());
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (final IllegalArgumentException | java.io.IOException e) {
            stderr.println("scissor encode: " + e.getMessage());
            return CommandLines.USAGE;
        } catch (final Exception e) {
            stderr.println("scissor encode: " + e);
            return 1;
        }
        stdout.printf(
                Locale.ROOT,
                "scissor encode: %d frames x %d tokens x %d dims with %s -> %s (%.1f s)%n",
                tokens.frames(),
                tokens.tokens(),
                tokens.dim(),
                encoding.descriptor().id(),
                out,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
