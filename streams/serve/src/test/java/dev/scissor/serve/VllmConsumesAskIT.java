package dev.scissor.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scissor.compressor.io.Npy;
import dev.scissor.consumer.Window;
import dev.scissor.consumer.WindowTestAccess;
import dev.scissor.encoder.testing.ExporterPython;
import dev.scissor.http.HttpService;
import dev.scissor.schemas.AvroTrust;
import dev.scissor.schemas.avro.CompressedWindow;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code /v1/ask} sends is what a real VLM stack accepts: the request's {@code image_embeds}
 * parts, in every format and dtype Scissor offers, are decoded with vLLM's own decoding logic
 * ({@code np.load} / {@code torch.load(weights_only=True)} in real NumPy and PyTorch), equal the
 * window tokens bit for bit after PyTorch's own dtype conversion, and go into transformers'
 * {@code LlavaOnevisionForConditionalGeneration} (a tiny architecture-true model with random
 * weights, text hidden size 64 = the tokens' dim) as its image features, whose own forward
 * validates and scatters them, and {@code generate} runs ({@code src/test/python/vllm_consume.py}).
 */
class VllmConsumesAskIT {

    private static final int DIM = 64;

    /** A window of the tiny model's dim with values that exercise rounding in float16 and bfloat16. */
    private static Window window(final long first, final int count, final long seed) {
        AvroTrust.trustGeneratedClasses();
        final Random r = new Random(seed);
        final float[] special = {
            1f + 0x1p-11f,
            1f + 3 * 0x1p-11f,
            0x1p-24f,
            0x1p-25f,
            3 * 0x1p-26f,
            1e-8f,
            -1e-7f,
            65504f,
            65519.99f,
            65520f,
            -70000f,
            0f,
            -0f,
            1f + 0x1p-8f,
            1f + 3 * 0x1p-8f,
            3.0e38f,
            1.17549435e-38f
        };
        final ByteBuffer b = ByteBuffer.allocate(count * DIM * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count * DIM; i++) {
            b.putFloat(i < special.length ? special[i] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 4)));
        }
        b.flip();
        final List<Integer> merged = new ArrayList<>();
        final List<Long> frames = new ArrayList<>();
        final List<Float> pos = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            merged.add(1);
            frames.add(first);
            pos.add(0f);
        }
        return Window.of(CompressedWindow.newBuilder(
                        WindowTestAccess.record("cam", first, count, DIM).build())
                .setTokens(b)
                .setMergedCounts(merged)
                .setFirstFrame(frames)
                .setLastFrame(frames)
                .setMeanRow(pos)
                .setMeanCol(pos)
                .build());
    }

    @Test
    void everyFormatAndDtypeIsDecodedAsVllmDoesAndFeedsTheTransformersModel(@TempDir final Path dir) throws Exception {
        final ExporterPython python = ExporterPython.require();
        python.runOk(
                300,
                "scissor_export.make_tiny_checkpoint",
                "--out",
                dir.resolve("ckpt").toString(),
                "--variant",
                "tiny-384");
        final List<Window> windows = List.of(window(0, 37, 1), window(4, 21, 2), window(8, 5, 3));
        final Path expect = Files.createDirectories(dir.resolve("expect"));
        for (int i = 0; i < windows.size(); i++) {
            final FloatBuffer t = windows.get(i).tokens();
            final float[] v = new float[t.remaining()];
            t.get(v);
            Npy.writeFloats(expect.resolve("w" + i + ".npy"), v, windows.get(i).tokenCount(), DIM);
        }
        final List<String> args = new ArrayList<>(
                List.of("--checkpoint", dir.resolve("ckpt/tiny-384").toString(), "--expect", expect.toString()));
        final String[][] cases = {
            {"torch", "float32"}, {"torch", "float16"}, {"torch", "bfloat16"}, {"npy", "float32"}, {"npy", "float16"}
        };
        for (final String[] c : cases) {
            final LlmRequests llm = new LlmRequests(
                    "",
                    "",
                    Duration.ofSeconds(1),
                    null,
                    EmbeddingTensors.Format.parse(c[0]),
                    EmbeddingTensors.DType.parse(c[1]));
            final Path req = dir.resolve(c[0] + "-" + c[1] + ".json");
            Files.write(req, HttpService.JSON.writeValueAsBytes(llm.build("cam", windows, "Who is there?")));
            args.add("--case");
            args.add(req + ":" + c[1]);
        }
        final Path script = scriptPath();
        final ExporterPython.Run run = python.runScriptOk(600, script, args.toArray(String[]::new));
        final String[] lines = run.stdout().strip().split("\n");
        assertEquals(cases.length, lines.length, run.stdout());
        for (int i = 0; i < cases.length; i++) {
            final JsonNode r = HttpService.JSON.readTree(lines[i]);
            assertEquals(3, r.path("windows").asInt(), lines[i]);
            assertEquals("[37,21,5]", r.path("tokens").toString(), lines[i]);
            assertEquals(cases[i][1], r.path("dtype").asText(), lines[i]);
            assertTrue(r.path("equal_to_window_tokens").asBoolean(), lines[i]);
            assertEquals(63, r.path("placeholders").asInt(), lines[i]);
            assertEquals(4, r.path("generated").size(), lines[i]);
        }
    }

    static Path scriptPath() {
        final String root = System.getProperty("scissor.repo.root", "");
        for (final Path p : List.of(
                Path.of(root, "streams/serve/src/test/python/vllm_consume.py"),
                Path.of("src/test/python/vllm_consume.py").toAbsolutePath())) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find src/test/python/vllm_consume.py (scissor.repo.root=" + root + ")");
    }
}
