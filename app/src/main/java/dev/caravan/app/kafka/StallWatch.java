package dev.caravan.app.kafka;

import java.time.Duration;

/**
 * Decides when the relay's producer is stalled and is to be replaced: a run's events have waited for an
 * acknowledgement longer than the stall timeout while Kafka was answering the producer. A producer can retry a batch
 * for ever with {@code delivery.timeout.ms} at its maximum and never fail it (KAFKA-14359: a partition refusing a
 * retried batch with {@code OUT_OF_ORDER_SEQUENCE_NUMBER}); a new producer, sending again from the outboxes, starts
 * that partition's sequence afresh.
 *
 * <ul>
 *   <li>Kafka answering: the producer received a response (an acknowledgement of another partition, or the error it
 *   retries) within the last half timeout, or since the previous look when looks are further apart. With no
 *   response at all Kafka is away: a new producer would not reach it either, and would drop what the old one held
 *   queued for a broker that comes back; the relay's backlog warning and health check report the outage instead.</li>
 *   <li>Never in a loop: a replacement waits for the new producer's sends to wait a whole timeout again; and while
 *   replacements bring no acknowledgement at all (the cluster refuses every partition, say a topic whose
 *   {@code min.insync.replicas} cannot be met) each next one waits twice as long as the last, up to
 *   {@link #MAX_HOLD_OFF} (or the timeout, when longer).</li>
 * </ul>
 *
 * <p>Times are {@link System#nanoTime()} values, handed in by the caller: used by the relay's thread only.
 */
final class StallWatch {

    /** The longest wait between two replacements that brought no acknowledgement. */
    static final Duration MAX_HOLD_OFF = Duration.ofMinutes(10);

    /** What a look at the producer finds. */
    enum Verdict {
        /** No run's events waited a timeout. */
        FLOWING,
        /** Events waited a timeout, and Kafka did not answer lately: an outage, no use replacing the producer. */
        KAFKA_AWAY,
        /** Events waited a timeout, but the last replacement, recent, brought no acknowledgement yet. */
        HELD_OFF,
        /** Events waited a timeout while Kafka answered: the producer is to be replaced. */
        STALLED
    }

    private final long timeoutNanos;
    private final long maxHoldOffNanos;
    private long holdOffNanos;
    private boolean acknowledgedEver;
    private long acknowledgedNanos;
    private boolean replacedEver;
    private long replacedNanos;
    private boolean answeredEver;
    private long answeredNanos;
    private boolean lookedEver;
    private long lookedNanos;
    private double responses = Double.NaN;

    StallWatch(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("stall timeout: expected a duration above 0, not " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
        this.maxHoldOffNanos = Math.max(timeoutNanos, MAX_HOLD_OFF.toNanos());
        this.holdOffNanos = timeoutNanos;
    }

    Duration timeout() {
        return Duration.ofNanos(timeoutNanos);
    }

    /** Whether a run whose events have waited since {@code waitingSince} waited a whole timeout. */
    boolean waitedTooLong(long waitingSince, long now) {
        return now - waitingSince >= timeoutNanos;
    }

    /** The broker acknowledged something (or failed it) at {@code now}: it answers, too. */
    void acknowledged(long now) {
        acknowledgedEver = true;
        acknowledgedNanos = now;
        answeredEver = true;
        answeredNanos = now;
    }

    /** Whether an acknowledgement came after {@code since}. */
    boolean acknowledgedSince(long since) {
        return acknowledgedEver && acknowledgedNanos - since > 0;
    }

    /**
     * Looks at the producer: {@code responses} is its count of responses from Kafka so far (NaN when unknown), and
     * {@code longestWait} how long the run waiting longest has waited for an acknowledgement (0 when none waits).
     */
    Verdict look(double responses, long longestWait, long now) {
        long previousLook = lookedNanos;
        boolean first = !lookedEver;
        lookedEver = true;
        lookedNanos = now;
        if (!Double.isNaN(responses) && !Double.isNaN(this.responses) && responses > this.responses) {
            answeredEver = true;
            answeredNanos = now;
        }
        this.responses = responses;
        if (longestWait < timeoutNanos) {
            return Verdict.FLOWING;
        }
        // answered lately: within half a timeout, or since the previous look when looks are further apart
        long window = first ? timeoutNanos / 2 : Math.max(timeoutNanos / 2, now - previousLook);
        if (!answeredEver || now - answeredNanos > window) {
            return Verdict.KAFKA_AWAY;
        }
        if (replacedEver && !acknowledgedSince(replacedNanos) && now - replacedNanos < holdOffNanos) {
            return Verdict.HELD_OFF;
        }
        return Verdict.STALLED;
    }

    /** The producer was replaced at {@code now}: the next replacement waits longer unless this one brings acks. */
    void replaced(long now) {
        if (replacedEver && !acknowledgedSince(replacedNanos)) {
            holdOffNanos = Math.min(maxHoldOffNanos, holdOffNanos * 2);
        } else {
            holdOffNanos = timeoutNanos;
        }
        replacedEver = true;
        replacedNanos = now;
        // the new producer counts its responses from zero
        responses = 0;
    }
}
