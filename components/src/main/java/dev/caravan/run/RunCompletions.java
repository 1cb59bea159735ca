package dev.caravan.run;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.spi.Timers;
import dev.caravan.state.RunRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;

/**
 * Tells callers when runs finish, however long they pause on the way (a gate, a wait), holding no thread meanwhile.
 * A run's executions here complete at every pause, and a run approved on another member finishes there: so the store
 * is read when this member's bus brings a run's last event, and, for runs that end elsewhere, every
 * {@value #POLL_MILLIS} ms. The bus is only subscribed to while someone waits: with no subscriber it queues nothing.
 * Futures complete on the engine's worker pool (or on the caller's thread when the run has finished already), never
 * on the bus's thread.
 */
final class RunCompletions {

    private static final Logger LOG = LoggerFactory.getLogger(RunCompletions.class);
    private static final long POLL_MILLIS = 1_000;
    private static final Set<String> LAST_TYPES = Set.of(EventTypes.RUN_COMPLETED, EventTypes.RUN_FAILED,
            EventTypes.RUN_CANCELLED);

    private final Engine engine;
    private final Map<String, List<CompletableFuture<RunRecord>>> waiting = new ConcurrentHashMap<>();
    /** Guards subscribing and unsubscribing, with the first waiter coming and the last one going. */
    private final Object lock = new Object();
    private AutoCloseable subscription;
    private Timers.Timer poll;

    RunCompletions(Engine engine) {
        this.engine = engine;
    }

    /** Completes with the run (its values resolved) once it has finished: completed, failed or cancelled. */
    CompletableFuture<RunRecord> finished(String runId) {
        CompletableFuture<RunRecord> f = new CompletableFuture<>();
        synchronized (lock) {
            waiting.computeIfAbsent(runId, k -> new CopyOnWriteArrayList<>()).add(f);
            if (subscription == null) {
                subscription = engine.events().subscribe(this::onEvent);
                poll = engine.timers().every(this::checkAll, POLL_MILLIS);
            }
        }
        // a caller that gives up (its own timeout) is no longer waited for
        f.whenComplete((r, e) -> forget(runId, f));
        // read after subscribing: a run that finished before is seen here, one that finishes after by the bus
        check(runId);
        return f;
    }

    private void onEvent(RunEvent e) {
        if (LAST_TYPES.contains(e.type()) && waiting.containsKey(e.runId())) {
            try {
                engine.tasks().execute(() -> check(e.runId()));
            } catch (RejectedExecutionException stopping) {
                LOG.debug("Run {} finished while the engine stops", e.runId());
            }
        }
    }

    private void checkAll() {
        for (String runId : waiting.keySet()) {
            check(runId);
        }
    }

    private void check(String runId) {
        List<CompletableFuture<RunRecord>> futures = waiting.get(runId);
        if (futures == null) {
            return;
        }
        RunRecord r;
        try {
            r = engine.store().get(runId);
            if (r == null) {
                throw new UnknownRunException(runId);
            }
            if (!r.status().isTerminal()) {
                return;
            }
            r = engine.values().resolve(r);
        } catch (RuntimeException e) {
            futures.forEach(f -> f.completeExceptionally(e));
            return;
        }
        for (CompletableFuture<RunRecord> f : futures) {
            f.complete(r);
        }
    }

    /** Fails every wait (on the worker pool): the instance stops, and the runs go on wherever they are taken up. */
    void stopWaiting() {
        waiting.forEach((runId, futures) -> {
            RunWaitTimeoutException stopping = RunWaitTimeoutException.stopping(runId);
            for (CompletableFuture<RunRecord> f : futures) {
                try {
                    engine.tasks().execute(() -> f.completeExceptionally(stopping));
                } catch (RejectedExecutionException stopped) {
                    f.completeExceptionally(stopping);
                }
            }
        });
    }

    private void forget(String runId, CompletableFuture<RunRecord> f) {
        synchronized (lock) {
            waiting.computeIfPresent(runId, (k, futures) -> {
                futures.remove(f);
                return futures.isEmpty() ? null : futures;
            });
            if (waiting.isEmpty() && subscription != null) {
                poll.cancel();
                try {
                    subscription.close();
                } catch (Exception e) {
                    LOG.debug("Cannot unsubscribe from the event bus", e);
                }
                subscription = null;
                poll = null;
            }
        }
    }
}
