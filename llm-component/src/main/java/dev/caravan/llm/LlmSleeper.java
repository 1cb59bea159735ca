package dev.caravan.llm;

/**
 * Waits before a retry. The component's default is {@link Thread#sleep(long)}; a test can set one that records the
 * waits and advances its clock instead (see {@link LlmComponent#setSleeper(LlmSleeper)}).
 */
@FunctionalInterface
public interface LlmSleeper {

    /** Waits {@code millis} milliseconds (more than 0). */
    void sleep(long millis) throws InterruptedException;
}
