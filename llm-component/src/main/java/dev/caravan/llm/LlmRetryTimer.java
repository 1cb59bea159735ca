package dev.caravan.llm;

/**
 * Runs a retry of a failed model call after its backoff, without holding a thread while it waits. The component's
 * default schedules it on its timer; a test can set one that records the waits, advances its clock and runs the retry
 * at once (see {@link LlmComponent#setRetryTimer(LlmRetryTimer)}).
 */
@FunctionalInterface
public interface LlmRetryTimer {

    /**
     * Runs {@code retry} once {@code millis} (more than 0) have passed.
     *
     * @throws java.util.concurrent.RejectedExecutionException when the component is stopping
     */
    void schedule(long millis, Runnable retry);
}
