package dev.caravan.llm.provider;

import dev.caravan.support.ThreadSupport;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Delivers the replies of simulated models after their latency: a waiting reply is a scheduled task, not a sleeping
 * thread. A small timer ({@link ThreadSupport#newTimer}) whose idle threads end, so a factory that holds one and is
 * never closed leaves no thread behind.
 */
public final class LatencyScheduler {

    private final ScheduledExecutorService timer;

    /**
     * @param name    the prefix of the thread names
     * @param threads how many replies may be delivered at the same time
     */
    public LatencyScheduler(String name, int threads) {
        timer = ThreadSupport.newTimer(name, threads);
    }

    /** Runs {@code reply} on one of the scheduler's threads once {@code millis} have passed. */
    public void after(long millis, Runnable reply) {
        timer.schedule(reply, millis, TimeUnit.MILLISECONDS);
    }
}
