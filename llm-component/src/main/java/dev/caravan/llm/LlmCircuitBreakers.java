package dev.caravan.llm;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.llm.LlmException.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One circuit breaker per model ({@code provider:model}), held by a {@link LlmComponent} and shared by its endpoints.
 * A circuit opens after {@code threshold} consecutive retryable failures; while open, calls fail at once with a
 * retryable {@link Kind#CIRCUIT_OPEN}. When the open duration is over, one call is let through as a probe: its success
 * closes the circuit, a retryable failure opens it again for another open duration.
 */
final class LlmCircuitBreakers {

    private static final Logger LOG = LoggerFactory.getLogger(LlmCircuitBreakers.class);

    private final Map<String, Circuit> circuits = new ConcurrentHashMap<>();
    private final int threshold;
    private final long openMillis;
    private final Clock clock;

    LlmCircuitBreakers(int threshold, long openMillis, Clock clock) {
        this.threshold = threshold;
        this.openMillis = openMillis;
        this.clock = clock;
    }

    private static final class Circuit {
        int failures;
        boolean open;
        long openUntil;
        boolean probing;
    }

    /** Whether circuits can open at all (a threshold of 0 or less turns them off). */
    boolean enabled() {
        return threshold > 0;
    }

    /**
     * Lets a call to {@code ref} go on, or throws a retryable {@link Kind#CIRCUIT_OPEN} when its circuit is open. When
     * the open duration is over, the first caller is let through as the probe.
     */
    void acquire(String ref) {
        if (!enabled()) {
            return;
        }
        Circuit c = circuits.get(ref);
        if (c == null) {
            return;
        }
        synchronized (c) {
            if (!c.open) {
                return;
            }
            long now = clock.millis();
            if (now >= c.openUntil && !c.probing) {
                c.probing = true;
                LOG.debug("Circuit of {} is half-open: letting one probe call through", ref);
                return;
            }
            throw new LlmException(Kind.CIRCUIT_OPEN, "The circuit of " + ref + " is open after " + c.failures
                                                      + " consecutive retryable failures"
                                                      + (c.probing ? "; a probe call is under way"
                                                                   : "; next probe in " + (c.openUntil - now) + " ms"));
        }
    }

    /** The call to {@code ref} succeeded (or the provider answered, even with a non-retryable error). */
    void onSuccess(String ref) {
        if (!enabled()) {
            return;
        }
        Circuit c = circuits.get(ref);
        if (c == null) {
            return;
        }
        synchronized (c) {
            if (c.open) {
                LOG.info("Circuit of {} is closed again", ref);
            }
            c.failures = 0;
            c.open = false;
            c.probing = false;
        }
    }

    /** The call to {@code ref} failed with {@code failure}. */
    void onFailure(String ref, LlmException failure) {
        if (!enabled() || failure.kind() == Kind.CIRCUIT_OPEN) {
            return;
        }
        if (failure.kind() == Kind.CANCELLED || failure.kind() == Kind.BUDGET) {
            // not the provider's doing: only give the probe back
            release(ref);
            return;
        }
        if (!failure.retryable()) {
            onSuccess(ref);
            return;
        }
        Circuit c = circuits.computeIfAbsent(ref, r -> new Circuit());
        synchronized (c) {
            c.failures++;
            if (c.probing || (!c.open && c.failures >= threshold)) {
                c.open = true;
                c.probing = false;
                c.openUntil = clock.millis() + openMillis;
                LOG.warn("Circuit of {} is open for {} ms after {} consecutive retryable failures (last: {})", ref, openMillis,
                        c.failures, failure.kind());
            }
        }
    }

    /** Gives a probe back without judging the model, when a call ended without an answer or a classified failure. */
    void release(String ref) {
        Circuit c = circuits.get(ref);
        if (c != null) {
            synchronized (c) {
                c.probing = false;
            }
        }
    }

    /** Whether the circuit of {@code ref} is open (a half-open circuit counts as open). */
    boolean isOpen(String ref) {
        Circuit c = circuits.get(ref);
        if (c == null) {
            return false;
        }
        synchronized (c) {
            return c.open;
        }
    }
}
