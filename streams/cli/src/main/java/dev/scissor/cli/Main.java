package dev.scissor.cli;

import dev.scissor.compressor.bench.CompressorBench;
import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.cli.CompressCommand;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code scissor} command line: one picocli command per subcommand. */
@Command(
        name = "scissor",
        description = "Compresses the visual tokens of live video for video LLMs (LLaVA-Scissor) on Kafka.",
        synopsisSubcommandLabel = "<command>",
        footer = {
            "",
            "The ./scissor launcher runs these too:",
            "  bench-streams  frames/s and window latency of the Kafka Streams compressor through a broker",
            "  bench-encoder  capture decode, encoder ms/frame and 2 fps cameras per machine, end to end",
            "  test           set up the machine and run every test",
            "",
            "run 'scissor <command> --help' for a command's options"
        })
public final class Main implements Callable<Integer> {

    /** Held so the level sticks: netlib logs its BLAS choice at INFO on every start. */
    private static final java.util.logging.Logger NETLIB_LOG = java.util.logging.Logger.getLogger("dev.ludovic.netlib");

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    private Main() {}

    /**
     * Entry point.
     *
     * @param args the command and its options
     */
    public static void main(final String[] args) {
        NETLIB_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args, System.out, System.err));
    }

    /**
     * The {@code scissor} command line with every subcommand.
     *
     * @param out standard output
     * @param err standard error
     * @return the command line, configured
     */
    static CommandLine commandLine(final PrintStream out, final PrintStream err) {
        final CommandLine commandLine = new CommandLine(new Main())
                .addSubcommand(new CompressCommand(out))
                .addSubcommand(new EncodeCommand(out, err))
                .addSubcommand(new EvalCommand(out, err))
                .addSubcommand(new CompressorBench.BenchCommand(out, err))
                .addSubcommand(new CompressorCommand(out, err))
                .addSubcommand(new CaptureCommand(out, err))
                .addSubcommand(new EncoderCommand(out, err))
                .addSubcommand(new ServeCommand(out, err))
                .addSubcommand(new DemoCommand(out, err))
                .addSubcommand(new CommandLine.HelpCommand());
        return CommandLines.configure(commandLine, out, err);
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return commandLine(out, err).execute(args);
    }

    /** No command: the help, and a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return CommandLines.USAGE;
    }
}
