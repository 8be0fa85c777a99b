package dev.scissor.compressor.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How every {@code scissor} command line runs on picocli: output to the given streams, a repeated
 * option's last value wins, and a usage error (unknown option, missing or malformed value, a
 * check a command makes) is one line on stderr that names the option, with exit code
 * {@value #USAGE}.
 */
public final class CommandLines {

    /** Exit code of a usage error. */
    public static final int USAGE = CommandLine.ExitCode.USAGE;

    private CommandLines() {}

    /**
     * Configures a command line and every subcommand it has so far.
     *
     * @param commandLine the command line
     * @param out where help and the commands' output go
     * @param err where usage errors go
     * @return {@code commandLine}
     */
    public static CommandLine configure(final CommandLine commandLine, final PrintStream out, final PrintStream err) {
        return commandLine
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setOverwrittenOptionsAllowed(true)
                .setUsageHelpWidth(100)
                .setParameterExceptionHandler(CommandLines::usageError);
    }

    /**
     * Runs one command on its own, named {@code scissor <its name>}.
     *
     * @param command a picocli {@code @Command} object
     * @param args its arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int execute(final Object command, final String[] args, final PrintStream out, final PrintStream err) {
        final CommandLine commandLine = configure(new CommandLine(command), out, err);
        commandLine.setCommandName("scissor " + commandLine.getCommandName());
        return commandLine.execute(args);
    }

    private static int usageError(final ParameterException e, final String[] args) {
        final CommandLine commandLine = e.getCommandLine();
        final String name = commandLine.getCommandSpec().qualifiedName();
        commandLine.getErr().println(name + ": " + message(e) + " (see '" + name + " --help')");
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * The error; for unmatched arguments only the first, since what follows a mistyped option may be a
     * secret ({@code --sett ssl.key.password=...}).
     */
    private static String message(final ParameterException e) {
        if (!(e instanceof UnmatchedArgumentException u) || u.getUnmatched().isEmpty()) {
            return e.getMessage();
        }
        final List<String> suggestions = u.getSuggestions();
        final String what = u.isUnknownOption()
                ? "Unknown option"
                : e.getCommandLine().getSubcommands().isEmpty() ? "Unexpected argument" : "Unknown command";
        return what + ": '" + u.getUnmatched().get(0) + "'"
                + (suggestions.isEmpty() ? "" : "; did you mean " + String.join(" or ", suggestions) + "?");
    }

    /** A {@code double} that must be finite (no NaN or infinity). */
    public static final class FiniteDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(final String value) {
            final double d;
            try {
                d = Double.parseDouble(value);
            } catch (final NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number");
            }
            if (!Double.isFinite(d)) {
                throw new TypeConversionException("'" + value + "' is not a finite number");
            }
            return d;
        }
    }

    /** One {@code KEY=VALUE} setting, both sides stripped. */
    public record KeyValue(String key, String value) {

        /** Converts {@code KEY=VALUE}; the key must not be empty. */
        public static final class Converter implements ITypeConverter<KeyValue> {
            @Override
            public KeyValue convert(final String text) {
                final int eq = text.indexOf('=');
                if (eq < 1 || text.substring(0, eq).isBlank()) {
                    throw new TypeConversionException("'" + text + "' is not KEY=VALUE");
                }
                return new KeyValue(
                        text.substring(0, eq).strip(), text.substring(eq + 1).strip());
            }
        }
    }

    /**
     * A command's own check of its arguments failed: reported like a parse error.
     *
     * @param commandLine the command's command line
     * @param format the message, a {@link String#format} pattern (root locale)
     * @param values its values
     * @return the exception, to throw
     */
    public static ParameterException usage(final CommandLine commandLine, final String format, final Object... values) {
        return new ParameterException(commandLine, String.format(Locale.ROOT, format, values));
    }
}
