package dev.caravan.run;

import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.spi.ProducerCache;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.cache.DefaultProducerCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Executes runs: every way of continuing a run (after a crash, an approval, a timer, a retry) is the same operation,
 * sending the run through its workflow route again and letting completed nodes short-circuit. One execution per run
 * at a time in this instance: a request that arrives while one is in flight makes it go round once more, so nothing
 * that happened meanwhile is missed. A running run owned by a live member is handed to that member. Nothing waits on a
 * thread: a pass through the route is sent to its asynchronous producer, and its completion settles the execution.
 */
public final class RunExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(RunExecutor.class);

    private final Engine engine;
    private final Map<String, Execution> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Endpoint> routeEndpoints = new ConcurrentHashMap<>();
    private volatile ProducerCache producers;

    RunExecutor(Engine engine) {
        this.engine = engine;
    }

    /**
     * A run as its creator knows it, saving a read: {@code creation} is the update that creates it when it rides on
     * the run's first update (see {@link RunService#run}), otherwise null.
     */
    record Known(RunRecord record, Mutation.CreateRun creation) {
    }

    /**
     * Executes the run from the worker pool, returning at once; the future completes when it finished or paused. The
     * pool's thread is free again as soon as the run waits on anything (a model, a timer, a human).
     */
    public CompletableFuture<RunRecord> execute(String runId) {
        return execute(runId, null);
    }

    /** Whether this instance is executing the run right now. */
    public boolean isExecuting(String runId) {
        return inFlight.containsKey(runId);
    }

    CompletableFuture<RunRecord> execute(String runId, Known known) {
        Execution ex = enlist(runId, known);
        if (ex.started.compareAndSet(false, true)) {
            engine.tasks().execute(() -> drive(runId, ex));
        }
        return ex.future;
    }

    /**
     * Continues the run on the calling thread, without the hand-off, until it finishes, pauses or waits on something
     * that completes later (then it goes on from that completion); the future completes when it finished or paused.
     */
    CompletableFuture<RunRecord> continueHere(String runId) {
        Execution ex = enlist(runId, null);
        if (ex.started.compareAndSet(false, true)) {
            drive(runId, ex);
        }
        return ex.future;
    }

    /** Executes the run as {@link #continueHere} does, then waits for it to finish or pause: for blocking callers. */
    RunRecord executeHere(String runId, Known known) {
        Execution ex = enlist(runId, known);
        if (ex.started.compareAndSet(false, true)) {
            drive(runId, ex);
        }
        return ex.future.join();
    }

    /** A queued run got a slot in its lane. */
    void startQueued(String runId) {
        engine.store().apply(runId, new Mutation.ResumeRun("lane slot free"));
        execute(runId);
    }

    /** The run's execution here: the one in flight, now asked to go round once more, or a new one to start. */
    private Execution enlist(String runId, Known known) {
        return inFlight.compute(runId, (k, current) -> {
            if (current != null) {
                current.again = true;
                return current;
            }
            Execution fresh = new Execution();
            fresh.known = known;
            return fresh;
        });
    }

    /** One round of the execution; the route's completion settles it, on whichever thread completes the route. */
    private void drive(String runId, Execution ex) {
        ex.again = false;
        Known known = ex.known;
        ex.known = null;
        executeOnce(runId, known, ex, (result, failure) -> settle(runId, ex, result, failure));
    }

    private void settle(String runId, Execution ex, RunRecord result, Throwable failure) {
        if (failure != null) {
            LOG.warn("Execution of run {} failed", runId, failure);
            ex.failure = failure;
        }
        if (result != null) {
            ex.result = result;
        }
        RunRecord last = result;
        boolean[] more = {false};
        // decided under the map's lock for this key, so a request arriving now either sees us gone or is run
        inFlight.compute(runId, (k, current) -> {
            if (current == ex && ex.again && last != null && !last.status().isTerminal()) {
                more[0] = true;
                return current;
            }
            return current == ex ? null : current;
        });
        if (more[0]) {
            drive(runId, ex);
            return;
        }
        RunRecord r = ex.result;
        if (ex.ran && r != null && r.lane() != null && r.status().isTerminal()) {
            engine.lanes().release(r.lane(), runId, r.status() == RunStatus.FAILED);
        }
        complete(ex, r, ex.failure);
        notifyParent(r);
    }

    private void complete(Execution ex, RunRecord r, Throwable e) {
        if (r == null && e != null) {
            ex.future.completeExceptionally(e);
        } else {
            try {
                ex.future.complete(engine.values().resolve(r));
            } catch (RuntimeException gone) {
                ex.future.completeExceptionally(gone);
            }
        }
    }

    /** What one pass of a run through its route ended with: the run's record, or the failure of the pass. */
    @FunctionalInterface
    private interface Pass {
        void ended(RunRecord result, Throwable failure);
    }

    private void executeOnce(String runId, Known known, Execution ex, Pass done) {
        Exchange exchange;
        Endpoint route;
        try {
            RunRecord r = known != null ? known.record() : require(runId);
            if (r.status().isTerminal() || r.status() == RunStatus.QUEUED) {
                done.ended(r, null);
                return;
            }
            ex.ran = true;
            if (r.status() == RunStatus.RUNNING && !engine.store().memberId().equals(r.owner())) {
                Mutation.Result claim = engine.store().apply(runId, new Mutation.ClaimRun(
                        "taken over from " + (r.owner() == null ? "an instance that stopped" : "member " + r.owner()),
                        engine.maxTakeovers()));
                if (Mutation.refusedAsNotOwner(claim)) {
                    // a live member executes it: that one goes round again, so nothing that happened here is missed
                    engine.runRequests().send(claim.record().owner(), runId);
                    done.ended(claim.record(), null);
                    return;
                }
                r = claim.record() != null ? claim.record() : require(runId);
                if (r.status() != RunStatus.RUNNING) {
                    done.ended(r, null);
                    return;
                }
            }
            exchange = new DefaultExchange(engine.camelContext());
            exchange.setProperty(RunRecords.RUN_ID, runId);
            exchange.setProperty(RunRecords.RECORD, r);
            if (known != null && known.creation() != null) {
                RunRecords.deferApplied(exchange, known.creation(), r);
            }
            exchange.getMessage().setBody(engine.values().resolve(r.input()));
            route = routeEndpoint(r.workflow());
        } catch (RuntimeException e) {
            done.ended(null, e);
            return;
        }
        producers().doInAsyncProducer(route, exchange, doneSync -> {
            RunRecord after;
            try {
                after = afterPass(runId, exchange);
            } catch (RuntimeException e) {
                done.ended(null, e);
                return;
            }
            done.ended(after, null);
        }, (producer, sent, callback) -> producer.process(sent, callback));
    }

    /** The run's record after a pass through its route, failed when Camel itself failed it. */
    private RunRecord afterPass(String runId, Exchange done) {
        // what a step deferred when the route ended before the next one (an error in Camel itself): recorded now
        RunRecords.flush(engine.store(), done, runId);
        // the end step leaves the record of the run's outcome; anything else is read afresh
        RunRecord after = done.getProperty(RunRecords.RECORD, RunRecord.class);
        if (after == null || !(after.status().isTerminal() || after.status().isPaused()) || done.getException() != null) {
            after = engine.store().get(runId);
        }
        if (done.getException() != null && engine.isStopping()) {
            LOG.debug("Run {} left {} by shutdown", runId, after.status().label());
        } else if (done.getException() != null && !after.status().isTerminal()) {
            Exception e = done.getException();
            LOG.warn("Run {} stopped by an engine error", runId, e);
            engine.store().apply(runId, new Mutation.FailRun(e.getClass().getName(), String.valueOf(e.getMessage())));
            after = engine.store().get(runId);
        }
        return after;
    }

    /**
     * A finished sub-workflow run continues its parent: a paused parent is resumed, and one this instance executes
     * goes round again. A parent that is running otherwise is left alone: its own execution (a route entered
     * directly, in plain Camel) waits on this child's outcome and goes on from it; a second execution beside it
     * would race it to record the same nodes.
     */
    private void notifyParent(RunRecord child) {
        if (child != null && child.parentRunId() != null && child.status().isTerminal()) {
            RunRecord parent = engine.store().get(child.parentRunId());
            if (parent == null || parent.status().isTerminal()) {
                return;
            }
            if (parent.status() == RunStatus.RUNNING && !isExecuting(parent.runId())) {
                LOG.debug("Run {} goes on from its sub-workflow {} where it executes", parent.runId(), child.runId());
                return;
            }
            engine.store().apply(parent.runId(), new Mutation.ResumeRun("sub-workflow " + child.runId() + " "
                    + child.status().label()));
            execute(parent.runId());
        }
    }

    /** Resolving an endpoint URI costs more than a whole node: each workflow's is looked up once. */
    private Endpoint routeEndpoint(String workflow) {
        return routeEndpoints.computeIfAbsent(workflow,
                w -> engine.camelContext().getEndpoint(WorkflowRoutes.routeUri(w)));
    }

    /** The routes' producers, called asynchronously; the Camel context stops them with itself. */
    private ProducerCache producers() {
        ProducerCache answer = producers;
        if (answer == null) {
            synchronized (this) {
                answer = producers;
                if (answer == null) {
                    answer = new DefaultProducerCache(this, engine.camelContext(), 16);
                    try {
                        engine.camelContext().addService(answer, true);
                    } catch (Exception e) {
                        throw new IllegalStateException("Cannot start the run executor's producers", e);
                    }
                    producers = answer;
                }
            }
        }
        return answer;
    }

    /** The run's record as stored; {@link UnknownRunException} when there is none. */
    RunRecord require(String runId) {
        RunRecord r = engine.store().get(runId);
        if (r == null) {
            throw new UnknownRunException(runId);
        }
        return r;
    }

    /**
     * A run's execution here, round after round until nothing asked for another. Its rounds follow one another, each
     * started by the completion of the one before, so its fields are never written concurrently.
     */
    private static final class Execution {
        final CompletableFuture<RunRecord> future = new CompletableFuture<>();
        final AtomicBoolean started = new AtomicBoolean();
        volatile boolean again;
        volatile Known known;
        /** Whether a round got as far as running the route (a run it only read is no lane slot's holder). */
        volatile boolean ran;
        volatile RunRecord result;
        volatile Throwable failure;
    }
}
