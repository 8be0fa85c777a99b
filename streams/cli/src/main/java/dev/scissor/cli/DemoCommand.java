package dev.scissor.cli;

import dev.scissor.compressor.cli.CommandLines;
import dev.scissor.compressor.cli.CommandLines.KeyValue;
import dev.scissor.demo.Demo;
import dev.scissor.demo.DemoSummary;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scissor demo}: the whole pipeline on one machine (in-process broker, capture, encoder,
 * compressor, a consumer), with live progress, a summary and pictures.
 */
@Command(
        name = "demo",
        sortOptions = false,
        sortSynopsis = false,
        description = {
            "the whole pipeline on a real clip: in-process broker, capture, encoder, compressor",
            "",
            "Runs capture -> frames -> encoder -> tokens -> compressor -> windows -> QA service on an in-process "
                    + "Kafka broker (KRaft), shows progress, asks the QA service to find a crop of a frame among the "
                    + "windows, and ends with a summary and pictures: a frame with its spatial components and the "
                    + "window's kept tokens, the window's frames with what is new in each, tokens per window over time, "
                    + "and the find.",
            ""
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "print this help and exit")
    private boolean help;

    @Option(
            names = "--source",
            paramLabel = "SRC",
            description = "a video file, camera (/dev/video0), RTSP URL or lavfi:GRAPH (default: the vtest.avi "
                    + "clip that ./scissor demo fetches; SCISSOR_DEMO_CLIP names another)")
    private String source = System.getenv("SCISSOR_DEMO_CLIP");

    @Option(
            names = "--stream-id",
            paramLabel = "ID",
            description = "the stream id (default: the file name, or 'camera')")
    private String streamId;

    @Option(
            names = "--bootstrap",
            paramLabel = "SERVERS",
            description = "use this broker instead of an in-process one (topics frames, tokens, windows, dlq are "
                    + "created when missing)")
    private String bootstrap;

    @Option(
            names = {"--out", "--out-dir"},
            paramLabel = "DIR",
            description = "where the pictures go (default scissor-out)")
    private Path outDir = Path.of("scissor-out");

    @Option(
            names = "--seconds",
            paramLabel = "S",
            converter = CommandLines.FiniteDouble.class,
            description = "stop capturing after S seconds (default: the end of a file; 60 for live sources)")
    private double seconds = -1;

    @Option(
            names = "--model",
            paramLabel = "DIR|NAME",
            description = "the encoder: an exported model directory (scissor export-encoder) or a built-in one "
                    + "(default mnv2-nsfwjs)")
    private String model;

    @Option(names = "--fast", description = "read a file as fast as it decodes instead of at real time")
    private boolean fast;

    @Option(
            names = "--serve",
            description = "after the summary, keep the QA service (localhost:8080: /v1/find, /v1/ask, /v1/streams) "
                    + "and the compressor's endpoint (localhost:8081) up until Ctrl-C")
    private boolean serve;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            converter = KeyValue.Converter.class,
            description = "a compressor setting (scissor.* keys; see 'scissor compressor --describe-config'), "
                    + "e.g. --set scissor.retention=0.1 for exactly 10%% of the tokens")
    private List<KeyValue> sets = new ArrayList<>();

    private final PrintStream out;
    private final PrintStream err;

    DemoCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return CommandLines.execute(new DemoCommand(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (source == null || source.isBlank()) {
            throw CommandLines.usage(
                    spec.commandLine(),
                    "no --source given and SCISSOR_DEMO_CLIP is not set"
                            + " (./scissor demo fetches the default clip and sets it)");
        }
        final Map<String, Object> settings = new LinkedHashMap<>();
        sets.forEach(kv -> settings.put(kv.key(), kv.value()));
        final boolean file = Files.isRegularFile(Path.of(source.startsWith("file:") ? source.substring(5) : source));
        final String id = streamId != null
                ? streamId
                : file ? Path.of(source).getFileName().toString().replaceFirst("\\.[^.]+$", "") : "camera";
        final double capture = seconds >= 0 ? seconds : file ? 0 : 60;
        try {
            final DemoSummary summary = Demo.run(
                    new Demo.Options(source, id, bootstrap, outDir, !fast, capture, settings, serve, model), out);
            if (!serve) {
                summary.print(out);
            }
            return 0;
        } catch (final ConfigException | IllegalArgumentException e) {
            err.println("scissor demo: " + e.getMessage());
            return 2;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (final Exception e) {
            err.println("scissor demo: " + e.getMessage());
            return 1;
        }
    }
}
