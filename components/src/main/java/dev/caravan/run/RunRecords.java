package dev.caravan.run;

import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStore;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The run record an exchange carries between steps ({@link #RECORD}), and the updates it defers
 * ({@link #DEFERRED}): every step of a workflow route updates the run through here.
 *
 * <p>An update that can wait for the next one of the same exchange (a node's outcome, when the next step follows at
 * once) is deferred: the exchange carries the record as the update will make it, and the next update applies both
 * in one round trip to the store. Nothing with an effect outside the run record happens in between: a node with
 * side effects starts with an update (which carries the deferred ones), and a step that has none to make applies
 * what is deferred before it ends. A crash in that window loses an outcome that was never acknowledged, so the node
 * runs again as the same attempt, as if the crash had come a moment earlier.
 */
public final class RunRecords {

    /** Exchange property: the run this exchange executes. Set by the engine on exchanges it creates, never read from a message. */
    public static final String RUN_ID = "CamelCaravanRunId";

    /**
     * Exchange property: the newest run record this exchange has seen, so a node does not read the record again
     * when the last update handed it over. Nodes only ever progress, so a stale copy can only make a node look
     * blocked, and then it is read afresh.
     */
    public static final String RECORD = "CamelCaravanRunRecord";

    /** Exchange property: the updates a step left for the exchange's next update to carry, in order. */
    public static final String DEFERRED = "CamelCaravanDeferredUpdates";

    private RunRecords() {
    }

    /** The record this exchange saw last for the run, or null. */
    public static RunRecord seen(Exchange exchange, String runId) {
        RunRecord r = exchange.getProperty(RECORD, RunRecord.class);
        return r != null && r.runId().equals(runId) ? r : null;
    }

    /** Keeps the record an update handed back. */
    public static void remember(Exchange exchange, Mutation.Result result) {
        if (result.record() != null) {
            exchange.setProperty(RECORD, result.record());
        }
    }

    /**
     * Applies an update, preceded by the ones the exchange deferred, in one round trip, and keeps the record it hands
     * back. When a deferred one is refused, so is this one, and the result says why.
     */
    public static Mutation.Result apply(RunStore store, Exchange exchange, String runId, Mutation mutation) {
        return applyWithDeferred(store, exchange, runId, mutation);
    }

    /**
     * Leaves an update for the exchange's next one to carry. The exchange carries the record as the update makes
     * it, so the steps in between see it; an update that would be refused is applied at once instead, so the
     * caller learns why.
     */
    public static Mutation.Result defer(RunStore store, Exchange exchange, String runId, Mutation mutation) {
        RunRecord seen = seen(exchange, runId);
        Mutation.Applied applied = seen == null ? null : mutation.apply(seen, System.currentTimeMillis());
        if (applied == null || applied.rejection() != null) {
            return apply(store, exchange, runId, mutation);
        }
        deferApplied(exchange, mutation, applied.record());
        return new Mutation.Result(true, null, applied.record().status(), applied.record());
    }

    /** Leaves an update for the exchange's next one to carry, with the record the caller knows it makes. */
    public static void deferApplied(Exchange exchange, Mutation mutation, RunRecord result) {
        Deferred deferred = exchange.getProperty(DEFERRED, Deferred.class);
        if (deferred == null) {
            deferred = new Deferred();
            exchange.setProperty(DEFERRED, deferred);
        }
        deferred.add(mutation);
        exchange.setProperty(RECORD, result);
    }

    /** Applies the updates the exchange deferred, if any; returns their result, or null if there were none. */
    public static Mutation.Result flush(RunStore store, Exchange exchange, String runId) {
        return applyWithDeferred(store, exchange, runId, null);
    }

    /** The run as stored, after what the exchange deferred; kept as the exchange's record. */
    public static RunRecord read(RunStore store, Exchange exchange, String runId) {
        Mutation.Result flushed = flush(store, exchange, runId);
        RunRecord r = flushed != null && flushed.record() != null ? flushed.record() : store.get(runId);
        if (r != null) {
            exchange.setProperty(RECORD, r);
        }
        return r;
    }

    /**
     * Applies what the exchange deferred followed by {@code mutation} (when not null) in one update, and keeps the
     * record it hands back; null when there was nothing to apply.
     */
    private static Mutation.Result applyWithDeferred(RunStore store, Exchange exchange, String runId,
            Mutation mutation) {
        Deferred deferred = exchange.getProperty(DEFERRED, Deferred.class);
        List<Mutation> taken = deferred == null ? null : deferred.take();
        Mutation.Result result;
        try {
            if (taken == null) {
                if (mutation == null) {
                    return null;
                }
                result = store.apply(runId, mutation);
            } else {
                List<Mutation> all = new ArrayList<>(taken.size() + 1);
                all.addAll(taken);
                if (mutation != null) {
                    all.add(mutation);
                }
                result = store.apply(runId, all);
            }
        } finally {
            if (taken != null) {
                deferred.applied();
            }
        }
        remember(exchange, result);
        return result;
    }

    /**
     * The updates an exchange deferred. Copies of an exchange (a multicast's branches, the branches of a workflow
     * whose first level is parallel, whose creation is deferred) share it: the first copy to update carries them,
     * and a copy that updates meanwhile waits until they are applied, so that no update of the run overtakes them
     * (a node started before the run exists would be refused). Each is applied once, never once per copy.
     */
    private static final class Deferred {
        private List<Mutation> updates;
        /** Completed once the updates a copy took are applied; null when no copy is applying any. */
        private CompletableFuture<Void> applying;

        synchronized void add(Mutation mutation) {
            if (updates == null) {
                updates = new ArrayList<>(2);
            }
            updates.add(mutation);
        }

        /**
         * The deferred updates, in order, for the caller to apply (it then calls {@link #applied}); null when there
         * are none. While another copy applies what it took, this waits: updates of the run stay in order.
         */
        List<Mutation> take() {
            while (true) {
                CompletableFuture<Void> inFlight;
                synchronized (this) {
                    if (applying == null) {
                        if (updates == null || updates.isEmpty()) {
                            return null;
                        }
                        List<Mutation> taken = updates;
                        updates = null;
                        applying = new CompletableFuture<>();
                        return taken;
                    }
                    inFlight = applying;
                }
                inFlight.join();
            }
        }

        /** The updates taken were applied (or failed): copies waiting for them go on. */
        void applied() {
            CompletableFuture<Void> done;
            synchronized (this) {
                done = applying;
                applying = null;
            }
            if (done != null) {
                done.complete(null);
            }
        }
    }
}
