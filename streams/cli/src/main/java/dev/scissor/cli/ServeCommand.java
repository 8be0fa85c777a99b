package dev.scissor.cli;

import dev.scissor.serve.QaService;
import dev.scissor.serve.ServeConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code scissor serve}: runs the QA service (LLM questions and query by example over the windows
 * topic) until stopped (Ctrl-C or SIGTERM).
 */
final class ServeCommand {

    private static final String HELP = String.join("\n",
            "usage: scissor serve --bootstrap HOST:PORT [options]",
            "",
            "Indexes every stream's recent CompressedWindows from the windows topic and serves HTTP:",
            "  POST /v1/ask   {\"stream\", \"question\", \"seconds\"}   ask an LLM about the last seconds (image_embeds)",
            "  POST /v1/find  {\"stream\", \"image\": base64, \"top\"}  windows that best match an image",
            "  GET  /v1/streams, /v1/streams/{id}/windows, /v1/streams/{id}/windows/latest (from the compressor)",
            "  GET  /metrics",
            "The LLM's API key comes from the environment variable " + ServeConfig.API_KEY_ENV + ".",
            "",
            "options:",
            "  --bootstrap SERVERS     Kafka bootstrap servers (required)",
            "  --config FILE           a properties file of settings (scissor.serve.* keys and Kafka consumer keys)",
            "  --set KEY=VALUE         one setting; repeatable; wins over --config",
            "  --port PORT             shorthand for --set " + ServeConfig.PORT + "=PORT",
            "  --llm-url URL           shorthand for --set " + ServeConfig.LLM_URL + "=URL",
            "  --run-for SECONDS       stop after this long (default: run until stopped)",
            "  --describe-config       print every scissor.serve.* setting with its default and exit",
            "",
            "example: scissor serve --bootstrap localhost:9092 --port 8080 --llm-url http://llm:8000 \\",
            "           --set scissor.serve.llm.model=llava-hf/llava-1.5-7b-hf");

    private ServeCommand() {
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        final KafkaCliOptions kafka = new KafkaCliOptions();
        final Map<String, Object> settings;
        try {
            if (!kafka.parseAll(args, HELP, ServeConfig::describe, out, (as, i) -> switch (as[i]) {
                case "--port" -> kafka.set(ServeConfig.PORT, as, i);
                case "--llm-url" -> kafka.set(ServeConfig.LLM_URL, as, i);
                default -> -1;
            })) {
                return 0;
            }
            settings = kafka.settings();
        } catch (final IllegalArgumentException | IOException e) {
            err.println("scissor serve: " + e.getMessage() + "\n\n" + HELP);
            return 2;
        }
        final ServeConfig config;
        try {
            config = new ServeConfig(settings);
        } catch (final ConfigException e) {
            err.println("scissor serve: " + e.getMessage() + "\n(run 'scissor serve --describe-config' for every setting)");
            return 2;
        }
        final QaService service = new QaService(config);
        final Thread hook = new Thread(service::close, "scissor-serve-shutdown");
        try {
            service.start();
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("scissor serve: http://%s:%d, windows from '%s', LLM %s%n", config.bind(), service.port(),
                    config.windowsTopic(), config.llmUrl().isEmpty() ? "none (/v1/ask returns the request)"
                            : config.llmUrl());
            final long deadline = kafka.runForSeconds < 0 ? Long.MAX_VALUE
                    : System.nanoTime() + kafka.runForSeconds * 1_000_000_000L;
            long lastReport = System.nanoTime();
            while (System.nanoTime() < deadline && service.consumerFailure() == null) {
                Thread.sleep(Math.max(1, Math.min(1000, (deadline - System.nanoTime()) / 1_000_000)));
                if (System.nanoTime() - lastReport > 30_000_000_000L) {
                    out.printf("scissor serve: %d windows held (%d read, %d malformed)%n", service.index().size(),
                            service.windowsConsumed(), service.malformedWindows());
                    lastReport = System.nanoTime();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final IOException | RuntimeException e) {
            err.println("scissor serve: " + e.getMessage());
            service.close();
            return 1;
        }
        service.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is running: it closes the service
        }
        if (service.consumerFailure() != null) {
            err.println("scissor serve: the windows consumer failed: " + service.consumerFailure());
            return 1;
        }
        out.println("scissor serve: stopped");
        return 0;
    }
}
