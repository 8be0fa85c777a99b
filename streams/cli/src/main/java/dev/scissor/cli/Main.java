package dev.scissor.cli;


import dev.scissor.compressor.bench.CompressorBench;
import dev.scissor.compressor.cli.CompressCommand;
import java.util.Arrays;

/** The {@code scissor} command line: dispatches to subcommands. */
public final class Main {

    private static final String HELP = String.join("\n",
            "usage: scissor <command> [options]",
            "",
            "commands:",
            "  compress   compress a token dump (.npy [T,N,D] or [N,D]) with LLaVA-Scissor",
            "  eval       LLaVA-Scissor vs pooling, random, L2 norm, ToMe, ... at matched token counts (CSV, chart)",
            "  bench      benchmark the compressor against OpenBLAS sgemm on this machine",
            "  bench-streams  frames/s and window latency of the Kafka Streams compressor through a broker",
            "  compressor run the Kafka Streams compressor against a broker (tokens -> windows)",
            "  capture    capture cameras, RTSP, files or lavfi at 2 fps into the frames topic (JPEG)",
            "  encoder    run the ONNX vision encoder against a broker (frames -> tokens)",
            "  bench-encoder  capture decode, encoder ms/frame and 2 fps cameras per machine, end to end",
            "  serve      the QA service: ask an LLM about the windows topic, find windows by example image",
            "  demo       the whole pipeline on a real clip: in-process broker, capture, encoder, compressor",
            "  test       set up the machine and run every test (handled by the ./scissor launcher)",
            "",
            "run 'scissor <command> --help' for a command's options");

    /** Held so the level sticks: netlib logs its BLAS choice at INFO on every start. */
    private static final java.util.logging.Logger NETLIB_LOG = java.util.logging.Logger.getLogger("dev.ludovic.netlib");

    private Main() {
    }

    /**
     * Entry point.
     *
     * @param args the command and its options
     */
    public static void main(final String[] args) {
        NETLIB_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args));
    }

    static int run(final String[] args) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            System.out.println(HELP);
            return args.length == 0 ? 2 : 0;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "compress":
                return CompressCommand.run(rest, System.out, System.err);
            case "eval":
                return EvalCommand.run(rest, System.out, System.err);
            case "bench":
                return CompressorBench.run(rest, System.out, System.err);
            case "compressor":
                return CompressorCommand.run(rest, System.out, System.err);
            case "capture":
                return CaptureCommand.run(rest, System.out, System.err);
            case "encoder":
                return EncoderCommand.run(rest, System.out, System.err);
            case "bench-streams", "bench-encoder":
                System.err.println("scissor: '" + args[0] + "' lives in the benchmarks module (streams/bench);"
                        + " run it as ./scissor " + args[0]);
                return 2;
            case "serve":
                return ServeCommand.run(rest, System.out, System.err);
            case "demo":
                return DemoCommand.run(rest, System.out, System.err);
            default:
                System.err.println("scissor: unknown command '" + args[0] + "'\n" + HELP);
                return 2;
        }
    }
}
