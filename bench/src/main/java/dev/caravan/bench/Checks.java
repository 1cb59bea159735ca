package dev.caravan.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Counts a side's wrong results, keeping the first: a bench reports them rather than stopping at one. */
final class Checks {

    private final AtomicInteger wrong = new AtomicInteger();
    private final AtomicReference<String> first = new AtomicReference<>();

    /** Checks every result (run in start order) against the expected one. */
    void check(String what, Object[] results, Object expected) {
        for (int i = 0; i < results.length; i++) {
            if (!expected.equals(results[i])) {
                wrong(what + ": run " + i + " gave " + results[i] + ", expected " + expected);
            }
        }
    }

    void wrong(String problem) {
        wrong.incrementAndGet();
        first.compareAndSet(null, problem);
    }

    int count() {
        return wrong.get();
    }

    /** The first wrong result, null when there was none. */
    String first() {
        return first.get();
    }
}
