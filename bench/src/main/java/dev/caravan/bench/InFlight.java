package dev.caravan.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * Starts runs asynchronously with at most a given number in flight: the feeding thread waits only for a free slot,
 * never for a run, and results are collected by the completions.
 */
final class InFlight {

    /** Wall time of a round and each run's result (its exception when it failed), in start order. */
    record Round(long nanos, Object[] results) {
    }

    private InFlight() {
    }

    static Round drive(int runs, int inFlight, IntFunction<CompletableFuture<?>> start) throws Exception {
        Semaphore slots = new Semaphore(inFlight);
        AtomicInteger finished = new AtomicInteger();
        AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(runs);
        CompletableFuture<Void> all = new CompletableFuture<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            slots.acquire();
            CompletableFuture<?> f;
            try {
                f = start.apply(i);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            int index = i;
            f.whenComplete((r, e) -> {
                results.set(index, e != null ? e : r);
                slots.release();
                if (finished.incrementAndGet() == runs) {
                    all.complete(null);
                }
            });
        }
        all.get(10, TimeUnit.MINUTES);
        long nanos = System.nanoTime() - t0;
        Object[] out = new Object[runs];
        for (int i = 0; i < runs; i++) {
            out[i] = results.get(i);
        }
        return new Round(nanos, out);
    }
}
