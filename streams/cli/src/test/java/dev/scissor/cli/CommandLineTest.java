package dev.scissor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code scissor} command line as a whole: generated help, and usage errors that name the option. */
class CommandLineTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        out.reset();
        err.reset();
        return Main.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyCommandHasADescriptionAndHelpExitsZero() {
        final Map<String, CommandLine> commands =
                Main.commandLine(System.out, System.err).getSubcommands();
        assertTrue(
                commands.keySet()
                        .containsAll(java.util.List.of(
                                "compress", "eval", "bench", "compressor", "capture", "encoder", "serve", "demo")),
                commands.keySet()::toString);
        assertEquals(0, run("--help"), this::err);
        final String top = out.toString(StandardCharsets.UTF_8);
        for (final Map.Entry<String, CommandLine> c : commands.entrySet()) {
            // The list shows a command's header where it has one (picocli's help command), else its description.
            final CommandLine.Model.UsageMessageSpec usage =
                    c.getValue().getCommandSpec().usageMessage();
            final String[] oneLine = usage.header().length > 0 ? usage.header() : usage.description();
            assertTrue(oneLine.length > 0 && !oneLine[0].isBlank(), c.getKey() + " has no description");
            assertTrue(top.contains("  " + c.getKey() + " ") && top.contains(oneLine[0]), top);
            assertEquals(0, run(c.getKey(), "--help"), () -> c.getKey() + " --help: " + err());
            final String help = out.toString(StandardCharsets.UTF_8);
            assertTrue(help.contains("Usage: scissor " + c.getKey()), help);
            assertTrue(help.contains("--help"), help);
            assertEquals("", err(), c.getKey() + " --help writes to stderr");
        }
        assertEquals(2, run(), "no command is a usage error");
    }

    @Test
    void aBadNumberNamesItsOption() {
        assertEquals(2, run("compressor", "--partitions", "abc"));
        assertEquals(
                "scissor compressor: Invalid value for option '--partitions': 'abc' is not an int"
                        + " (see 'scissor compressor --help')",
                err().strip());
        assertEquals(2, run("encoder", "--bootstrap", "localhost:1", "--batch", "8x"));
        assertTrue(err().contains("option '--batch': '8x' is not an int"), err());
        assertEquals(2, run("compress", "--tokens", "in.npy", "--out", "out.npy", "--tau", "NaN"));
        assertTrue(err().contains("option '--tau': 'NaN' is not a finite number"), err());
        assertEquals(2, run("capture", "--max-size", "640"));
        assertTrue(err().contains("option '--max-size': '640' is not WxH"), err());
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertEquals(2, run("serve", "--bogus"));
        assertTrue(err().startsWith("scissor serve: Unknown option: '--bogus'"), err());
        assertEquals(1, err().strip().lines().count(), err());
        assertEquals(2, run("compress", "--tokens", "in.npy", "--out", "out.npy", "--retentoin", "0.1"));
        assertTrue(err().contains("'--retentoin'") && err().contains("did you mean --retention?"), err());
        assertEquals(2, run("compressor", "--sett", "ssl.key.password=key-s3cret"));
        assertEquals(
                "scissor compressor: Unknown option: '--sett'; did you mean --set? (see 'scissor compressor --help')",
                err().strip(),
                "names the option, not the value after it");
        assertEquals(2, run("compresss"));
        assertTrue(err().startsWith("scissor: Unknown command: 'compresss'; did you mean compress"), err());
    }

    @Test
    void setWithoutEqualsIsAClearError() {
        for (final String command : new String[] {"compressor", "capture", "encoder", "serve", "demo"}) {
            assertEquals(2, run(command, "--set", "scissor.retention"), command);
            assertTrue(
                    err().contains("Invalid value for option '--set' (KEY=VALUE): 'scissor.retention' is not "
                            + "KEY=VALUE"),
                    err());
            assertEquals(2, run(command, "--set", "=0.1"), command);
            assertTrue(err().contains("'=0.1' is not KEY=VALUE"), err());
        }
        assertEquals(2, run("capture", "--source-option", "video_size=640x480", "--source", "lavfi:testsrc"));
        assertTrue(err().contains("--source-option video_size comes before any --source"), err());
    }

    @Test
    void missingBootstrapAndUnreadableConfigAreUsageErrors() {
        assertEquals(2, run("compressor"));
        assertTrue(err().contains("--bootstrap SERVERS is required"), err());
        assertEquals(2, run("serve", "--config", "/no/such/scissor.properties"));
        assertTrue(err().startsWith("scissor serve: cannot read --config /no/such/scissor.properties"), err());
        assertFalse(err().isBlank());
    }
}
