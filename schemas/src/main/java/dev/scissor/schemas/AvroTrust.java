package dev.scissor.schemas;

import dev.scissor.schemas.avro.CompressedWindow;
import dev.scissor.schemas.avro.CompressionParams;
import dev.scissor.schemas.avro.EmitReason;
import dev.scissor.schemas.avro.FrameTokens;
import dev.scissor.schemas.avro.TokenDtype;
import dev.scissor.schemas.avro.VideoFrame;
import dev.scissor.schemas.avro.WindowStats;
import java.util.List;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Makes Avro 1.12 trust the project's generated classes.
 *
 * <p>Since 1.12 Avro refuses to load any class it is not told to trust when it decodes into
 * specific records: decoding a {@link VideoFrame} fails with {@code SecurityException: Forbidden
 * dev.scissor.schemas.avro.VideoFrame! This class is not trusted}, even through the generated
 * {@code VideoFrame.getDecoder()}. {@link #trustGeneratedClasses()} fixes that once for the JVM by
 * extending the global {@link ClassSecurityValidator} with the classes of exactly one package,
 * {@value #GENERATED_PACKAGE} (not its subpackages). Every other trust decision stays with the
 * validator that was installed before, so system properties such as {@code
 * org.apache.avro.SERIALIZABLE_PACKAGES} keep working.
 *
 * <p>The check runs whenever Avro resolves a generated class through a {@code SpecificData} whose
 * class cache does not hold it yet, which happens in more places than decoding:
 *
 * <ul>
 *   <li>decoding: {@code SpecificDatumReader}, the generated {@code getDecoder()}/{@code
 *       fromByteBuffer};
 *   <li>{@code new SpecificDatumWriter<>(schema)} and {@code SpecificData.getForSchema};
 *   <li>generated builders: copy builders ({@code FrameTokens.newBuilder(other)}), and {@code
 *       build()} when it fills in an enum or record default (for example {@code dtype} left unset);
 *   <li>{@code SpecificData.deepCopy} of records and enums.
 * </ul>
 *
 * <p>{@link AvroSingleObjectSerde} (and so {@link ScissorSerdes} and {@link Topics}) calls this
 * itself. Applications should still call it once at start-up, and tests that build records
 * before creating any serde should call it in a static initializer or {@code @BeforeAll}.
 */
public final class AvroTrust {

    /** The package holding the classes generated from {@code src/main/avro}. */
    public static final String GENERATED_PACKAGE = "dev.scissor.schemas.avro";

    /** Every generated class; referencing them as literals does not initialise them. */
    private static final List<Class<?>> GENERATED_CLASSES = List.of(
            VideoFrame.class,
            FrameTokens.class,
            TokenDtype.class,
            CompressedWindow.class,
            CompressionParams.class,
            WindowStats.class,
            EmitReason.class);

    private static final ClassSecurityPredicate GENERATED_PACKAGE_ONLY =
            clazz -> GENERATED_PACKAGE.equals(clazz.getPackageName());

    private AvroTrust() {}

    /**
     * Extends Avro's global class validator so that it trusts the generated classes.
     *
     * <p>Idempotent and thread-safe: when the current global validator already trusts every
     * generated class, nothing changes. It checks the installed validator rather than a flag, so it
     * also repairs trust after someone replaced the global validator.
     */
    public static synchronized void trustGeneratedClasses() {
        final ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        if (trusts(current)) {
            return;
        }
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current, GENERATED_PACKAGE_ONLY));
    }

    /**
     * Tells whether Avro's global class validator currently trusts every generated class.
     *
     * @return {@code true} when decoding into the generated classes will not be refused
     */
    public static boolean generatedClassesTrusted() {
        return trusts(ClassSecurityValidator.getGlobal());
    }

    private static boolean trusts(final ClassSecurityPredicate validator) {
        return GENERATED_CLASSES.stream().allMatch(validator::isTrusted);
    }
}
