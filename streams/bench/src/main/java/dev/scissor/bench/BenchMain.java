package dev.scissor.bench;

import java.util.Arrays;

/** The benchmark commands of the {@code scissor} launcher: {@code bench-streams} and {@code bench-encoder}. */
public final class BenchMain {

    private BenchMain() {
    }

    /**
     * Entry point.
     *
     * @param args the command and its options
     */
    public static void main(final String[] args) {
        System.exit(run(args));
    }

    static int run(final String[] args) {
        final String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (args.length == 0 ? "" : args[0]) {
            case "bench-streams":
                return StreamsBench.run(rest, System.out, System.err);
            case "bench-encoder":
                return EncoderBenchCommand.run(rest, System.out, System.err);
            default:
                System.err.println("usage: scissor bench-streams|bench-encoder [options] (--help for a command's options)");
                return 2;
        }
    }
}
