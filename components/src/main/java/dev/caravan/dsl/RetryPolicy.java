package dev.caravan.dsl;

import java.time.Duration;

/**
 * How often and how patiently a failing node is retried.
 *
 * @param maxAttempts  total attempts including the first (1 = no retry)
 * @param backoff      {@code fixed} or {@code exponential}
 * @param initialDelay delay before the second attempt
 * @param maxDelay     upper bound of any delay
 */
public record RetryPolicy(int maxAttempts, String backoff, Duration initialDelay, Duration maxDelay) {

    public static final RetryPolicy NONE = new RetryPolicy(1, "fixed", Duration.ZERO, Duration.ZERO);

    /** The delay before attempt {@code attempt + 1}, given {@code attempt} attempts have failed (1-based). */
    public Duration delayAfter(int attempt) {
        if ("exponential".equals(backoff)) {
            long factor = 1L << Math.min(attempt - 1, 20);
            Duration d = initialDelay.multipliedBy(factor);
            return maxDelay.isZero() || d.compareTo(maxDelay) < 0 ? d : maxDelay;
        }
        return initialDelay;
    }
}
