package dev.caravan.llm.provider;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Holds a blocking call on the caller's thread to a time limit: when the limit passes first, it interrupts the caller,
 * and {@link java.net.http.HttpClient#send} gives up (it cancels the exchange when interrupted). The timer is the JDK's
 * shared {@link CompletableFuture#orTimeout} scheduler, cancelled when the call ends in time: no thread of ours, and
 * no hand-off on the way back (which {@code sendAsync} would add).
 */
final class CallDeadline implements BiConsumer<Void, Throwable> {

    private static final int RUNNING = 0;
    private static final int ENDED = 1;
    private static final int FIRING = 2;
    private static final int FIRED = 3;

    private final Thread caller = Thread.currentThread();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final CompletableFuture<Void> timer = new CompletableFuture<>();

    CallDeadline(Duration limit) {
        timer.orTimeout(limit.toNanos(), TimeUnit.NANOSECONDS).whenComplete(this);
    }

    /** The timer's end: on a timeout while the call still runs, interrupt the caller. */
    @Override
    public void accept(Void ignored, Throwable failure) {
        if (failure instanceof TimeoutException && state.compareAndSet(RUNNING, FIRING)) {
            caller.interrupt();
            state.set(FIRED);
        }
    }

    /**
     * Ends the watch, on the caller's thread. Returns whether the limit had passed; then the interrupt it caused has
     * been cleared again, and nothing else of this deadline will touch the caller.
     */
    boolean end() {
        if (state.compareAndSet(RUNNING, ENDED)) {
            // cancels the scheduled timeout
            timer.complete(null);
            return false;
        }
        while (state.get() != FIRED) {
            Thread.onSpinWait();
        }
        Thread.interrupted();
        return true;
    }
}
