package dev.scissor.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The architecture's rules, checked over the production classes of every module: who may import
 * what. A rule broken by a change fails {@code mvn verify} with the offending class and call.
 */
@AnalyzeClasses(
        packages = "dev.scissor",
        importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.NoTestJars.class})
class ArchitectureTest {

    /** Leaves out the test-jars that some modules publish for other modules' tests. */
    static final class NoTestJars implements ImportOption {
        @Override
        public boolean includes(final Location location) {
            return !location.contains("-tests.jar");
        }
    }

    @ArchTest
    static final ArchRule compressorIsPureJava = noClasses()
            .that()
            .resideInAPackage("dev.scissor.compressor..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.apache.kafka..", "ai.onnxruntime..", "org.bytedeco..", "org.apache.avro..")
            .orShould()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.scissor.schemas..",
                    "dev.scissor.encoder..",
                    "dev.scissor.streams..",
                    "dev.scissor.pipeline..",
                    "dev.scissor.consumer..",
                    "dev.scissor.serve..",
                    "dev.scissor.cli..",
                    "dev.scissor.kafka..",
                    "dev.scissor.http..",
                    "dev.scissor.metrics..",
                    "dev.scissor.testkit..")
            .because("the algorithm is pure Java: its golden and property tests run without frameworks");

    @ArchTest
    static final ArchRule contractsDependOnNothingInHouse = noClasses()
            .that()
            .resideInAPackage("dev.scissor.schemas..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.scissor..")
            .andShould()
            .dependOnClassesThat()
            .resideOutsideOfPackages(
                    "dev.scissor.schemas..", "java..", "org.apache.avro..", "org.apache.kafka.common..")
            .because("the wire contracts (Avro schemas, serdes, topics, dead-letter headers) depend on nothing else");

    @ArchTest
    static final ArchRule encoderHasNoKafka = noClasses()
            .that()
            .resideInAPackage("dev.scissor.encoder..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.apache.kafka..", "dev.scissor.schemas..")
            .because("capture and the vision encoder are libraries; the stages put them on Kafka");

    @ArchTest
    static final ArchRule consumerNeedsNoBroker = noClasses()
            .that()
            .resideInAPackage("dev.scissor.consumer..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "kafka..",
                    "org.apache.kafka.server..",
                    "org.apache.kafka.streams..",
                    "org.apache.kafka.common.test..",
                    "dev.scissor.testkit..",
                    "dev.scissor.streams..",
                    "dev.scissor.serve..",
                    "dev.scissor.compressor..",
                    "dev.scissor.encoder..",
                    "ai.onnxruntime..",
                    "org.bytedeco..")
            .because("LLM teams embed the consumer API: kafka-clients and the schemas, nothing heavier");

    @ArchTest
    static final ArchRule stagesDoNotUseKafkaStreams = noClasses()
            .that()
            .resideInAPackage("dev.scissor.pipeline..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.apache.kafka.streams..", "dev.scissor.streams..")
            .because("the capture and encoder stages are plain producers and consumers");

    @ArchTest
    static final ArchRule onlyTheDemoAndBenchmarksStartABroker = noClasses()
            .that()
            .resideOutsideOfPackages(
                    "dev.scissor.testkit..", "dev.scissor.demo..", "dev.scissor.bench..", "dev.scissor.cli..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.scissor.testkit..", "kafka.server..", "org.apache.kafka.common.test..")
            .because("the embedded broker is for the demo, the benchmarks and the tests only");

    @ArchTest
    static final ArchRule servicesDoNotDependOnTheCommandLine = noClasses()
            .that()
            .resideOutsideOfPackages("dev.scissor.cli..", "dev.scissor.demo..", "dev.scissor.bench..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.scissor.cli..", "dev.scissor.demo..", "dev.scissor.bench..")
            .because("the command line sits on top; libraries and apps never call back into it");

    @ArchTest
    static final ArchRule compressorAppDoesNotReachIntoStagesOrServe = noClasses()
            .that()
            .resideInAPackage("dev.scissor.streams..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.scissor.pipeline..",
                    "dev.scissor.serve..",
                    "dev.scissor.encoder..",
                    "ai.onnxruntime..",
                    "org.bytedeco..")
            .because("the Kafka Streams compressor needs tokens, not images");
}
