package dev.scissor.cli;

import dev.scissor.demo.Demo;
import dev.scissor.demo.DemoSummary;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code scissor demo}: the whole pipeline on one machine (in-process broker, capture, encoder,
 * compressor, a consumer), with live progress, a summary and pictures.
 */
final class DemoCommand {

    private static final String HELP = String.join("\n",
            "usage: scissor demo [--source SRC] [options]",
            "",
            "Runs capture -> frames -> encoder -> tokens -> compressor -> windows -> QA service on an in-process",
            "Kafka broker (KRaft), shows progress, asks the QA service to find a crop of a frame among the windows,",
            "and ends with a summary and pictures: a frame with its spatial components and the window's kept",
            "tokens, the window's frames with what is new in each, tokens per window over time, and the find.",
            "",
            "options:",
            "  --source SRC        a video file, camera (/dev/video0), RTSP URL or lavfi:GRAPH (default: the",
            "                      vtest.avi clip that ./scissor demo fetches; SCISSOR_DEMO_CLIP names another)",
            "  --stream-id ID      the stream id (default: the file name, or 'camera')",
            "  --bootstrap SERVERS use this broker instead of an in-process one (topics frames, tokens, windows,",
            "                      dlq are created when missing)",
            "  --out DIR           where the pictures go (default scissor-out)",
            "  --seconds S         stop capturing after S seconds (default: the end of a file; 60 for live sources)",
            "  --fast              read a file as fast as it decodes instead of at real time",
            "  --serve             after the summary, keep the QA service (localhost:8080: /v1/find, /v1/ask,",
            "                      /v1/streams) and the compressor's endpoint (localhost:8081) up until Ctrl-C",
            "  --set KEY=VALUE     a compressor setting (scissor.* keys; see 'scissor compressor --describe-config'),",
            "                      e.g. --set scissor.retention=0.1 for exactly 10% of the tokens");

    private DemoCommand() {
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        String source = System.getenv("SCISSOR_DEMO_CLIP");
        String streamId = null;
        String bootstrap = null;
        Path outDir = Path.of("scissor-out");
        double seconds = -1;
        boolean fast = false;
        boolean serve = false;
        final Map<String, Object> settings = new LinkedHashMap<>();
        try {
            for (int i = 0; i < args.length; i++) {
                final String a = args[i];
                switch (a) {
                    case "-h", "--help" -> {
                        out.println(HELP);
                        return 0;
                    }
                    case "--source" -> source = KafkaCliOptions.value(args, ++i, a);
                    case "--stream-id" -> streamId = KafkaCliOptions.value(args, ++i, a);
                    case "--bootstrap" -> bootstrap = KafkaCliOptions.value(args, ++i, a);
                    case "--out", "--out-dir" -> outDir = Path.of(KafkaCliOptions.value(args, ++i, a));
                    case "--seconds" -> seconds = Double.parseDouble(KafkaCliOptions.value(args, ++i, a));
                    case "--fast" -> fast = true;
                    case "--serve" -> serve = true;
                    case "--set" -> {
                        final String kv = KafkaCliOptions.value(args, ++i, a);
                        final int eq = kv.indexOf('=');
                        if (eq < 1) {
                            throw new IllegalArgumentException("--set takes KEY=VALUE, got '" + kv + "'");
                        }
                        settings.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            }
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("no --source given and SCISSOR_DEMO_CLIP is not set (./scissor demo "
                        + "fetches the default clip and sets it)");
            }
        } catch (final IllegalArgumentException e) {
            err.println("scissor demo: " + e.getMessage() + "\n\n" + HELP);
            return 2;
        }
        final boolean file = Files.isRegularFile(Path.of(source.startsWith("file:") ? source.substring(5) : source));
        if (streamId == null) {
            streamId = file ? Path.of(source).getFileName().toString().replaceFirst("\\.[^.]+$", "") : "camera";
        }
        if (seconds < 0) {
            seconds = file ? 0 : 60;
        }
        try {
            final DemoSummary summary = Demo.run(new Demo.Options(source, streamId, bootstrap, outDir, !fast, seconds,
                    settings, serve), out);
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
