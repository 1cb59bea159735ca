package dev.caravan.app.kafka;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that confirm relayed events to the store, a run always on the same one so its confirmations land in
 * order. The store's updates wait for the run's partition, busy with the runs themselves; the relay's own thread must
 * not. When a thread's queue is full, whoever hands it a confirmation runs it (the relay then sends less).
 */
final class Confirmers implements AutoCloseable {

    /** Confirmations waiting per thread. */
    private static final int WAITING = 10_000;

    private final ThreadPoolExecutor[] threads;

    Confirmers(int count) {
        threads = new ThreadPoolExecutor[count];
        for (int i = 0; i < count; i++) {
            String name = "caravan-event-confirm-" + i;
            threads[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(WAITING),
                    r -> {
                        Thread t = new Thread(r, name);
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.CallerRunsPolicy());
        }
    }

    /** Runs a confirmation of the run after the run's earlier ones. */
    void confirm(String runId, Runnable confirmation) {
        threads[Math.floorMod(runId.hashCode(), threads.length)].execute(confirmation);
    }

    @Override
    public void close() {
        for (ThreadPoolExecutor t : threads) {
            t.shutdown();
        }
    }
}
