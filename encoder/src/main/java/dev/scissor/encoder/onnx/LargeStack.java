package dev.scissor.encoder.onnx;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code that loads or calls ONNX Runtime on a thread with a large stack.
 *
 * <p>ONNX Runtime 1.29.0's native initialisation can overflow the JVM's default 1 MiB thread stack:
 * with the full application classpath, {@code OrtEnvironment.getEnvironment()} on the launcher's
 * main thread died with SIGSEGV (exit 139, no {@code hs_err} file), while the same call on a thread
 * with a 2 MiB stack, or under {@code -Xss2m}, worked. The stages and commands therefore open the
 * model and run it on threads made here, whatever {@code -Xss} the JVM was started with.
 */
public final class LargeStack {

    /** Stack size of the threads made here: 16 MiB (reserved, committed only as used). */
    public static final long STACK_BYTES = 16L << 20;

    private LargeStack() {}

    /**
     * Makes an unstarted thread with a large stack.
     *
     * @param name thread name
     * @param body what it runs
     * @return the thread
     */
    public static Thread newThread(final String name, final Runnable body) {
        return new Thread(null, body, name, STACK_BYTES);
    }

    /**
     * Runs {@code body} on a new large-stack thread and waits for it.
     *
     * @param name thread name
     * @param body what to run
     * @param <T> the result type
     * @return its result
     * @throws Exception what {@code body} threw
     */
    public static <T> T call(final String name, final Callable<T> body) throws Exception {
        final AtomicReference<T> result = new AtomicReference<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final Thread t = newThread(name, () -> {
            try {
                result.set(body.call());
            } catch (final Throwable e) {
                error.set(e);
            }
        });
        t.start();
        try {
            t.join();
        } catch (final InterruptedException e) {
            t.interrupt();
            throw e;
        }
        final Throwable e = error.get();
        if (e instanceof Exception ex) {
            throw ex;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return result.get();
    }
}
