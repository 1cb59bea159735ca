package dev.caravan.component.run;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one trigger has received since the start, for the health endpoint: its events, and how many started runs, were
 * skipped by its filter or failed, with the last event's time and the last failure. Counted by the run producer.
 */
public final class TriggerActivity {

    /** A moment's view of a trigger's activity. */
    public record Snapshot(String workflow, String trigger, long received, long started, long skipped, long failed,
            Instant lastEventAt, String lastError) {
    }

    private final String workflow;
    private final String trigger;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile Instant lastEventAt;
    private volatile String lastError;

    TriggerActivity(String workflow, String trigger) {
        this.workflow = workflow;
        this.trigger = trigger;
    }

    void received() {
        received.incrementAndGet();
        lastEventAt = Instant.now();
    }

    void started() {
        started.incrementAndGet();
    }

    void skipped() {
        skipped.incrementAndGet();
    }

    void failed(Exception e) {
        failed.incrementAndGet();
        lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    public Snapshot snapshot() {
        return new Snapshot(workflow, trigger, received.get(), started.get(), skipped.get(), failed.get(),
                lastEventAt, lastError);
    }
}
