package dev.caravan.llm.provider;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers the replies of simulated models after their latency: a waiting reply is a scheduled task, not a sleeping
 * thread. A small pool of daemon threads, made when first needed and ended when idle, so a factory that holds one
 * and is never closed leaves no thread behind.
 */
public final class LatencyScheduler {

    private static final long IDLE_SECONDS = 5;

    private final ScheduledThreadPoolExecutor timer;

    /**
     * @param name    the prefix of the thread names
     * @param threads how many replies may be delivered at the same time
     */
    public LatencyScheduler(String name, int threads) {
        AtomicLong counter = new AtomicLong();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, name + "-" + counter.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
        timer = new ScheduledThreadPoolExecutor(threads, factory);
        timer.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    /** Runs {@code reply} on one of the scheduler's threads once {@code millis} have passed. */
    public void after(long millis, Runnable reply) {
        timer.schedule(reply, millis, TimeUnit.MILLISECONDS);
    }
}
