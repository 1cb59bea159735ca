package dev.caravan.spi;

import java.util.concurrent.RejectedExecutionException;

/**
 * Where the engine's timers live: gate deadlines, waits, retry backoffs, node timeouts and its periodic sweeps. A
 * timer only schedules: its task runs on a worker thread, never on the thread that keeps time, so a slow task cannot
 * hold up another timer. Bind an implementation in the Camel registry to keep time elsewhere; the default is one
 * in-memory timer thread per engine handing tasks to the engine's worker pool. Timers of paused runs need not be
 * durable here: the engine schedules them again from run state when it starts.
 */
public interface Timers extends AutoCloseable {

    /**
     * Runs the task once the delay (milliseconds, a negative one is none) has passed.
     *
     * @throws RejectedExecutionException once closed
     */
    Timer schedule(Runnable task, long delayMillis);

    /**
     * Runs the task every period, the first time after one period; a run that fails is logged and the next one
     * still comes.
     *
     * @throws RejectedExecutionException once closed
     */
    Timer every(Runnable task, long periodMillis);

    /** Stops keeping time: due tasks are dropped. */
    @Override
    void close();

    /** A scheduled task. */
    @FunctionalInterface
    interface Timer {

        /** Drops the task if it has not started yet. */
        void cancel();
    }
}
