package dev.scissor.pipeline;

import ai.onnxruntime.OrtException;
import dev.scissor.encoder.model.EncoderModelDescriptor;
import dev.scissor.encoder.model.ModelStore;
import dev.scissor.encoder.onnx.LargeStack;
import dev.scissor.encoder.onnx.OnnxVisionEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several {@link EncoderStage}s in one process, members of one consumer group, sharing one model
 * (ONNX Runtime sessions are thread-safe): each worker consumes its share of the frames
 * partitions, batches them and runs the model on its own thread.
 *
 * <p>On a small CPU machine, {@code workers = cores} with one intra-op thread each encodes the
 * most frames per second: every model run computes on its worker's thread, and no ONNX Runtime
 * pool threads spin while capture threads want the CPU. One worker with ONNX Runtime on every core
 * gives the lowest latency per batch instead. Each worker gets its own transactional id, {@code
 * <group.id>-<instance id>-w<i>}.
 */
public final class EncoderWorkers implements AutoCloseable {

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private static final Logger LOG = LoggerFactory.getLogger(EncoderWorkers.class);

    private final OnnxVisionEncoder model;
    private final List<EncoderStage> stages = new ArrayList<>();

    /**
     * Loads the model once (on a large-stack thread, see {@link LargeStack}) and creates the
     * workers; {@link #start()} starts them.
     *
     * @param settings the settings every worker is configured from (see {@link EncoderConfig})
     * @param workers how many workers, at least 1
     * @throws Exception if the configuration is invalid or the model cannot be loaded
     */
    public EncoderWorkers(final Map<String, Object> settings, final int workers) throws Exception {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
        final EncoderConfig first = new EncoderConfig(settings);
        final EncoderModelDescriptor descriptor = first.descriptor();
        this.model = LargeStack.call(
                "scissor-model-loader",
                () -> OnnxVisionEncoder.open(descriptor, ModelStore.fromEnvironment(), first.encoderOptions()));
        final Object configured = settings.get(EncoderConfig.INSTANCE_ID);
        final String base = configured == null || configured.toString().isBlank()
                ? UUID.randomUUID().toString()
                : configured.toString().strip();
        try {
            for (int i = 0; i < workers; i++) {
                final Map<String, Object> s = new LinkedHashMap<>(settings);
                s.put(EncoderConfig.INSTANCE_ID, workers == 1 ? base : base + "-w" + i);
                stages.add(new EncoderStage(new EncoderConfig(s), model));
            }
        } catch (final RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Starts every worker. */
    public void start() {
        stages.forEach(EncoderStage::start);
        LOG.info(
                "{} encoder worker(s) started on model '{}' ({})",
                stages.size(),
                model.descriptor().id(),
                model.executionProvider());
    }

    /**
     * Waits until a worker stops (closed or failed).
     *
     * @param timeout how long to wait
     * @return whether one stopped
     * @throws InterruptedException if interrupted
     */
    public boolean awaitAnyStop(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        do {
            for (final EncoderStage s : stages) {
                if (s.awaitStop(Duration.ZERO)) {
                    return true;
                }
            }
            Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
        } while (System.nanoTime() < deadline);
        return false;
    }

    /** The workers. */
    public List<EncoderStage> stages() {
        return List.copyOf(stages);
    }

    /** The shared model. */
    public OnnxVisionEncoder model() {
        return model;
    }

    /** The first failure of a worker, or {@code null}. */
    public Throwable failure() {
        return stages.stream()
                .map(EncoderStage::failure)
                .filter(f -> f != null)
                .findFirst()
                .orElse(null);
    }

    private long sum(final ToLongFunction<EncoderStage> f) {
        return stages.stream().mapToLong(f).sum();
    }

    /** Records consumed by all workers. */
    public long framesIn() {
        return sum(EncoderStage::framesIn);
    }

    /** FrameTokens sent by all workers. */
    public long tokensOut() {
        return sum(EncoderStage::tokensOut);
    }

    /** Dead letters sent by all workers. */
    public long deadLetters() {
        return sum(EncoderStage::deadLetters);
    }

    /** Model runs of all workers. */
    public long batches() {
        return sum(EncoderStage::batches);
    }

    /** Time in model runs, all workers, nanoseconds. */
    public long encodeNanos() {
        return sum(EncoderStage::encodeNanos);
    }

    /** Time decoding and preprocessing, all workers, nanoseconds. */
    public long prepareNanos() {
        return sum(EncoderStage::prepareNanos);
    }

    /**
     * Registers the workers' metrics ({@code scissor_encoder_*}, summed over workers) and binds each
     * worker's consumer and producer metrics ({@code kafka_consumer_*}, {@code kafka_producer_*},
     * one {@code client_id} per worker), unbound as each worker closes its clients. Call it once.
     *
     * @param metrics the registry
     * @return this
     */
    public EncoderWorkers registerMetrics(final dev.scissor.metrics.Metrics metrics) {
        EncoderMetrics.register(metrics, List.copyOf(stages), stages.get(0).framesTopic());
        return this;
    }

    /** Stops every worker (each encodes and commits what it holds), then frees the model. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already (the command and its shutdown hook may both close)
        }
        stages.forEach(EncoderStage::close);
        try {
            model.close();
        } catch (final OrtException e) {
            LOG.debug("closing the model failed", e);
        }
    }
}
