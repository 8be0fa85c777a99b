package dev.scissor.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives a test class one in-process KRaft broker ({@link EmbeddedKafka}),
 * started on first use and closed after the class's last test.
 *
 * <pre>{@code
 * @ExtendWith(EmbeddedKafkaExtension.class)
 * class MyIT {
 *     private static EmbeddedKafka kafka;
 *
 *     @BeforeAll
 *     static void broker(final EmbeddedKafka broker) {
 *         kafka = broker;
 *         kafka.createTopics(Map.of("tokens", 4));
 *     }
 * }
 * }</pre>
 *
 * <p>Any lifecycle or test method of the class may take an {@code EmbeddedKafka} parameter; all get
 * the same broker.
 */
public final class EmbeddedKafkaExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);

    /** Closes the broker when JUnit closes the class's store. */
    private record Broker(EmbeddedKafka kafka) implements AutoCloseable {
        @Override
        public void close() {
            kafka.close();
        }
    }

    @Override
    public boolean supportsParameter(final ParameterContext parameter, final ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafka.class;
    }

    @Override
    public Object resolveParameter(final ParameterContext parameter, final ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent()
                && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(Broker.class, k -> new Broker(EmbeddedKafka.start()), Broker.class)
                .kafka();
    }
}
