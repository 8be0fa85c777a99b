package dev.scissor.cli;

import dev.scissor.compressor.bench.SyntheticVideo;
import dev.scissor.compressor.cli.CompressCommand;
import dev.scissor.compressor.io.Npy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * {@code scissor demo}: for now, compresses a sample token video (32 frames x 196 tokens x 816 dims)
 * with the paper's defaults and with a 10% budget, and prints what happened. The full pipeline demo
 * (capture, encoder, Kafka, compressor) replaces it as those stages land.
 */
final class DemoCommand {

    private DemoCommand() {
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        final Path dir = Paths.get(args.length > 1 && args[0].equals("--out-dir") ? args[1] : "scissor-out");
        try {
            Files.createDirectories(dir);
            final Path tokens = dir.resolve("sample_tokens.npy");
            out.println("scissor demo: writing a sample token video [32, 196, 816] to " + tokens);
            Npy.writeFloats(tokens, SyntheticVideo.generate(42, 32, 14, 816, 9, 0.8), 32, 196, 816);
            out.println("\n1) the paper's defaults (tau 0.9, epsilon 0.05):");
            int rc = CompressCommand.run(new String[] {"--tokens", tokens.toString(), "--out",
                dir.resolve("compressed_tau.npy").toString(), "--labels", dir.resolve("labels.npy").toString(),
                "--stats", dir.resolve("stats_tau.json").toString()}, out, err);
            if (rc != 0) {
                return rc;
            }
            out.println("\n2) budget mode, exactly 10% of the tokens:");
            rc = CompressCommand.run(new String[] {"--tokens", tokens.toString(), "--out",
                dir.resolve("compressed_budget.npy").toString(), "--retention", "0.1",
                "--stats", dir.resolve("stats_budget.json").toString()}, out, err);
            if (rc != 0) {
                return rc;
            }
            out.println("\noutputs in " + dir.toAbsolutePath() + ": compressed_*.npy (tokens), labels.npy "
                    + "(spatial components per frame), stats_*.json");
            return 0;
        } catch (final IOException e) {
            err.println("scissor demo: " + e.getMessage());
            return 1;
        }
    }
}
