package dev.caravan.run;

import dev.caravan.spi.Timers;
import dev.caravan.support.ThreadSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The default {@link Timers}: one daemon thread keeps time and hands every task to a worker executor. What a timer
 * continues (a retried node, the rest of its route, a gate's decision, a resumed run) may be slow, and on the timer
 * thread it would hold up every gate deadline, wait, node timeout and sweep due after it.
 */
final class LocalTimers implements Timers {

    private static final Logger LOG = LoggerFactory.getLogger(LocalTimers.class);

    private final ScheduledExecutorService clock;
    private final Executor workers;
    private final BooleanSupplier stopping;

    /** {@code stopping} tells whether the engine is shutting down, when a failing task is not worth a warning. */
    LocalTimers(Executor workers, BooleanSupplier stopping) {
        this.workers = workers;
        this.stopping = stopping;
        // a node's timeout is cancelled when the node ends, nearly always long before it would fire: the timer drops
        // it then, so its queue holds the timers that can still fire, not every timeout of the last hour
        this.clock = ThreadSupport.newTimer("caravan-timers", 1);
    }

    @Override
    public Timer schedule(Runnable task, long delayMillis) {
        ScheduledFuture<?> f = clock.schedule(() -> handOver(task), Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public Timer every(Runnable task, long periodMillis) {
        ScheduledFuture<?> f = clock.scheduleWithFixedDelay(() -> handOver(task), periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    /** A task due while the engine closes is dropped with it. */
    private void handOver(Runnable task) {
        try {
            workers.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // as a scheduled task's failure would have stayed in its future: nobody waits for it
                    if (!stopping.getAsBoolean()) {
                        LOG.warn("A timer's task failed", e);
                    }
                }
            });
        } catch (RejectedExecutionException closing) {
            LOG.debug("A timer fired while the engine closes: its task is dropped");
        }
    }

    @Override
    public void close() {
        clock.shutdownNow();
    }
}
