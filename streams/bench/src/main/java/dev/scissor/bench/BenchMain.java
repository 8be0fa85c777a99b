package dev.scissor.bench;

import dev.scissor.compressor.cli.CommandLines;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The benchmark commands of the {@code scissor} launcher: {@code bench-streams} and {@code bench-encoder}. */
@Command(
        name = "scissor",
        synopsisSubcommandLabel = "bench-streams|bench-encoder",
        description = "The benchmarks that need a broker or the encoder (the ./scissor launcher runs them here).",
        footer = {"", "run 'scissor <command> --help' for a command's options"})
public final class BenchMain implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    private BenchMain() {}

    /**
     * Entry point.
     *
     * @param args the command and its options
     */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * The benchmarks' command line.
     *
     * @param out standard output
     * @param err standard error (progress)
     * @return the command line, configured
     */
    static CommandLine commandLine(final PrintStream out, final PrintStream err) {
        return CommandLines.configure(
                new CommandLine(new BenchMain())
                        .addSubcommand(new StreamsBenchOptions(out, err))
                        .addSubcommand(new EncoderBenchCommand(out, err)),
                out,
                err);
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return commandLine(out, err).execute(args);
    }

    /** No command: the help, and a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLines.USAGE;
    }
}
