package dev.scissor.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scissor.consumer.Window;
import dev.scissor.http.HttpService;
import dev.scissor.http.HttpService.Response;
import java.util.List;

/** The JSON bodies of {@link QaService}'s answers: windows, streams and find results. */
final class QaJson {

    private QaJson() {}

    /** The answer of {@code POST /v1/find}. */
    static Response find(final String stream, final List<QaService.FindResult> results) {
        final ObjectNode out = HttpService.JSON.createObjectNode();
        out.put("stream", stream);
        final ArrayNode arr = out.putArray("results");
        for (final QaService.FindResult f : results) {
            final ObjectNode o = arr.addObject();
            o.put("firstSequence", f.firstSequence())
                    .put("lastSequence", f.lastSequence())
                    .put("firstTimestamp", f.firstTimestamp())
                    .put("lastTimestamp", f.lastTimestamp())
                    .put("score", f.score())
                    .put("similarity", f.similarity());
            final ArrayNode frames = o.putArray("frames");
            f.frames().forEach(frames::add);
        }
        return Response.json(200, out);
    }

    static ArrayNode windows(final List<Window> windows) {
        final ArrayNode arr = HttpService.JSON.createArrayNode();
        for (final Window w : windows) {
            final ObjectNode o = arr.addObject();
            o.put("firstSequence", w.firstSequence())
                    .put("lastSequence", w.lastSequence())
                    .put("firstTimestamp", w.firstTimestampMs())
                    .put("lastTimestamp", w.lastTimestampMs())
                    .put("tokenCount", w.tokenCount())
                    .put("tokenDim", w.tokenDim())
                    .put("emitReason", w.emitReason().name());
            final ArrayNode frames = o.putArray("frames");
            w.frameSequences().forEach(frames::add);
        }
        return arr;
    }

    static JsonNode streams(final WindowIndex index) {
        final ObjectNode out = HttpService.JSON.createObjectNode();
        final ArrayNode arr = out.putArray("streams");
        for (final WindowIndex.StreamInfo s : index.streams()) {
            arr.addObject()
                    .put("stream", s.streamId())
                    .put("windows", s.windows())
                    .put("firstTimestamp", s.firstTimestampMs())
                    .put("lastTimestamp", s.lastTimestampMs())
                    .put("firstSequence", s.firstSequence())
                    .put("lastSequence", s.lastSequence())
                    .put("spanSeconds", (s.lastTimestampMs() - s.firstTimestampMs()) / 1000.0);
        }
        return out;
    }
}
