package dev.scissor.pipeline;

import dev.scissor.schemas.DeadLetters.Reason;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The encoder stage's counters: written by its thread, read from any. */
final class EncoderCounters {

    final AtomicLong framesIn = new AtomicLong();
    final AtomicLong tokensOut = new AtomicLong();
    final AtomicLong deadLetters = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong encodeNanos = new AtomicLong();
    final AtomicLong prepareNanos = new AtomicLong();
    final AtomicLong aborts = new AtomicLong();
    final LongAdder[] deadLettersByReason = new LongAdder[Reason.values().length];

    EncoderCounters() {
        for (int i = 0; i < deadLettersByReason.length; i++) {
            deadLettersByReason[i] = new LongAdder();
        }
    }
}
