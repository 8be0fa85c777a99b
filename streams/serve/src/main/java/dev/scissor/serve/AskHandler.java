package dev.scissor.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.consumer.Window;
import dev.scissor.http.HttpService;
import dev.scissor.http.HttpService.HttpError;
import dev.scissor.http.HttpService.Request;
import dev.scissor.http.HttpService.Response;
import java.io.IOException;
import java.util.List;

/** {@code POST /v1/ask} of {@link QaService}: a stream's recent windows as an LLM request, sent or returned. */
final class AskHandler implements HttpService.Handler {

    private final ServeConfig config;
    private final WindowIndex index;
    private final LlmRequests llm;

    AskHandler(final ServeConfig config, final WindowIndex index, final LlmRequests llm) {
        this.config = config;
        this.index = index;
        this.llm = llm;
    }

    @Override
    public Response handle(final Request r) throws Exception {
        final ObjectNode body = r.json();
        final String stream = QaFields.text(body, "stream");
        final String question = QaFields.text(body, "question");
        final JsonNode secondsNode = body.path("seconds");
        final double seconds =
                secondsNode.isMissingNode() ? 60 : secondsNode.isNumber() ? secondsNode.doubleValue() : -1;
        if (!(seconds > 0)) {
            throw new HttpError(400, "seconds must be a positive number");
        }
        if (!Double.isFinite(seconds)) {
            throw new HttpError(400, "seconds must be a finite positive number, not " + seconds);
        }
        final int max = QaFields.integer(
                body,
                "max_windows",
                Math.min(QaService.DEFAULT_MAX_ASK_WINDOWS, config.askMaxWindows()),
                1,
                Integer.MAX_VALUE,
                "max_windows must be a positive integer");
        if (max > config.askMaxWindows()) {
            throw new HttpError(
                    400,
                    "max_windows must be at most " + config.askMaxWindows() + " (" + ServeConfig.ASK_MAX_WINDOWS
                            + "), not " + max);
        }
        List<Window> windows = index.lastSeconds(stream, seconds);
        if (windows.isEmpty()) {
            throw new HttpError(404, "no windows of stream '" + stream + "' are indexed (GET /v1/streams lists them)");
        }
        if (windows.size() > max) {
            windows = windows.subList(windows.size() - max, windows.size());
        }
        long tokenBytes = 0;
        for (final Window w : windows) {
            tokenBytes += 4L * w.tokenCount() * w.tokenDim();
        }
        if (tokenBytes > config.askMaxRequestBytes()) {
            throw new HttpError(
                    413,
                    "the " + windows.size() + " windows asked for carry " + tokenBytes
                            + " bytes of tokens; at most " + config.askMaxRequestBytes() + " go into one LLM request ("
                            + ServeConfig.ASK_MAX_REQUEST_BYTES + "): ask with a smaller max_windows or seconds");
        }
        final ObjectNode request = llm.build(stream, windows, question);
        final ObjectNode out = HttpService.JSON.createObjectNode();
        out.set("windows", QaJson.windows(windows));
        if (!llm.hasServer()) {
            out.put("sent", false);
            out.put("reason", "scissor.serve.llm.url is not set: this is the request that would be sent");
            out.set("request", request);
            return Response.json(200, out);
        }
        final LlmRequests.Answer answer;
        try {
            answer = llm.send(request);
        } catch (final IOException e) {
            throw new HttpError(502, "the LLM server " + llm.endpoint() + " did not answer: " + e);
        }
        if (answer.status() / 100 != 2) {
            throw new HttpError(
                    502,
                    "the LLM server " + llm.endpoint() + " answered " + answer.status() + ": "
                            + QaFields.abbreviate(answer.text(), 2000));
        }
        out.put("sent", true);
        out.put("answer", answer.text());
        if (answer.body() != null) {
            out.set("response", answer.body());
        }
        return Response.json(200, out);
    }
}
