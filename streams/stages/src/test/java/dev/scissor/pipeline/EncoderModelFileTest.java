package dev.scissor.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encoder pointed at a corrupt model file fails at start-up, before it connects to Kafka, with a
 * message that names the encoder and the file, says what is wrong and what to do; {@code scissor
 * encoder} prints it as {@code scissor encoder: <message>} and exits with 1.
 */
class EncoderModelFileTest {

    @Test
    void aCorruptModelFileStopsTheEncoderWithAClearMessage(@TempDir final Path dir) throws Exception {
        final byte[] garbage = new byte[10_000];
        new Random(1).nextBytes(garbage);
        Files.write(dir.resolve("vision.onnx"), garbage);
        final Path descriptor = dir.resolve("vision.properties");
        Files.writeString(
                descriptor,
                String.join(
                        "\n",
                        "id=my-vision",
                        "model=vision.onnx",
                        "input.name=pixel_values",
                        "input.height=224",
                        "input.width=224",
                        "output.name=tokens",
                        "output.layout=NCHW",
                        "grid.height=14",
                        "grid.width=14",
                        "token.dim=816",
                        ""));
        final OrtException e = assertThrows(
                OrtException.class,
                () -> new EncoderWorkers(
                        Map.of("bootstrap.servers", "127.0.0.1:1", EncoderConfig.MODEL, descriptor.toString()), 1));
        final String m = e.getMessage();
        assertTrue(
                m.startsWith("encoder 'my-vision': ONNX Runtime cannot load the model "
                        + dir.resolve("vision.onnx").toAbsolutePath() + ": "),
                m);
        assertTrue(m.contains("(10000 bytes) is corrupt, truncated or not an ONNX model"), m);
        assertTrue(m.contains("Replace it with a valid .onnx file"), m);
    }
}
