package dev.scissor.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.VideoFrame;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Shows the Avro 1.12 class-trust trap and that {@link AvroTrust} fixes it. Each test starts from
 * Avro's stock validator and a fresh {@link SpecificData} (whose class cache is empty), and puts
 * the JVM-wide validator back afterwards.
 */
class AvroTrustTest {

    private ClassSecurityPredicate saved;
    private byte[] videoFrameDatum;

    @BeforeEach
    void useStockValidator() throws IOException {
        videoFrameDatum = rawDatum(TestRecords.videoFrame()); // may install trust: do it first
        saved = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.DEFAULT);
    }

    @AfterEach
    void restoreValidator() {
        ClassSecurityValidator.setGlobal(saved);
    }

    @Test
    void stockAvroRefusesGeneratedClassesUntilTrusted() throws IOException {
        final byte[] datum = videoFrameDatum;
        assertFalse(AvroTrust.generatedClassesTrusted());
        final SecurityException refused = assertThrows(SecurityException.class, () -> decodeWithFreshModel(datum));
        assertTrue(refused.getMessage().contains(VideoFrame.class.getName()), refused.getMessage());

        AvroTrust.trustGeneratedClasses();

        assertTrue(AvroTrust.generatedClassesTrusted());
        assertEquals(TestRecords.videoFrame(), decodeWithFreshModel(datum));
    }

    @Test
    void trustCoversNestedRecordsAndEnums() throws IOException {
        AvroTrust.trustGeneratedClasses();
        final CompressedWindow window = TestRecords.compressedWindow();
        final byte[] datum = rawDatum(window);
        final SpecificDatumReader<CompressedWindow> reader = new SpecificDatumReader<>(
                CompressedWindow.getClassSchema(), CompressedWindow.getClassSchema(), new SpecificData());
        final CompressedWindow back = reader.read(null, DecoderFactory.get().binaryDecoder(datum, null));
        assertEquals(window, back);
        assertEquals(EmitReason.SCENE_CHANGE, back.getEmitReason());
    }

    @Test
    void trustIsIdempotentAndKeepsThePreviousValidator() {
        AvroTrust.trustGeneratedClasses();
        final ClassSecurityPredicate installed = ClassSecurityValidator.getGlobal();
        AvroTrust.trustGeneratedClasses();
        assertSame(installed, ClassSecurityValidator.getGlobal(), "second call must not re-wrap");
        assertTrue(installed.isTrusted(String.class), "stock trusted classes stay trusted");
    }

    @Test
    void trustDoesNotWidenToOtherPackages() {
        AvroTrust.trustGeneratedClasses();
        final ClassSecurityPredicate installed = ClassSecurityValidator.getGlobal();
        assertTrue(installed.isTrusted(VideoFrame.class));
        assertFalse(installed.isTrusted(AvroTrust.class), "dev.scissor.schemas is not generated code");
        assertFalse(installed.isTrusted(File.class));
    }

    @Test
    void serdeInstallsTrustItself() {
        final AvroSingleObjectSerde<VideoFrame> serde = ScissorSerdes.videoFrame();
        assertTrue(AvroTrust.generatedClassesTrusted());
        final byte[] bytes = serde.serializer().serialize("frames", TestRecords.videoFrame());
        assertEquals(TestRecords.videoFrame(), serde.deserializer().deserialize("frames", bytes));
    }

    private static VideoFrame decodeWithFreshModel(final byte[] datum) throws IOException {
        final SpecificDatumReader<VideoFrame> reader =
                new SpecificDatumReader<>(VideoFrame.getClassSchema(), VideoFrame.getClassSchema(), new SpecificData());
        return reader.read(null, DecoderFactory.get().binaryDecoder(datum, null));
    }

    /** Plain Avro binary of a record, without the single-object header. */
    private static <T extends SpecificRecord> byte[] rawDatum(final T record) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        // A fresh model: SpecificDatumWriter(Schema) looks the class up and can hit the trap itself.
        new SpecificDatumWriter<T>(record.getSchema(), new SpecificData()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
