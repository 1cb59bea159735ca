package dev.caravan.run;

import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
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
 * that happened meanwhile is missed. A running run owned by a live member is handed to that member.
 */
public final class RunExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(RunExecutor.class);

    private final Engine engine;
    private final Map<String, Execution> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Endpoint> routeEndpoints = new ConcurrentHashMap<>();
    private volatile ProducerTemplate template;

    RunExecutor(Engine engine) {
        this.engine = engine;
    }

    /**
     * A run as its creator knows it, saving a read: {@code creation} is the update that creates it when it rides on
     * the run's first update (see {@link RunService#run}), otherwise null.
     */
    record Known(RunRecord record, Mutation.CreateRun creation) {
    }

    /** Executes the run on the worker pool; the future completes when it finished or paused. */
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

    /** Executes the run on the calling thread, without the hand-off, returning when it finished or paused. */
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

    private void drive(String runId, Execution ex) {
        AtomicBoolean ran = new AtomicBoolean();
        RunRecord result = null;
        Throwable failure = null;
        boolean goRound;
        do {
            ex.again = false;
            try {
                Known known = ex.known;
                ex.known = null;
                result = executeOnce(runId, known, ran);
            } catch (RuntimeException e) {
                LOG.warn("Execution of run {} failed", runId, e);
                failure = e;
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
            goRound = more[0];
        } while (goRound);
        if (ran.get() && result != null && result.lane() != null && result.status().isTerminal()) {
            engine.lanes().release(result.lane(), runId, result.status() == RunStatus.FAILED);
        }
        complete(ex, result, failure);
        notifyParent(result);
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

    private RunRecord executeOnce(String runId, Known known, AtomicBoolean ran) {
        RunRecord r = known != null ? known.record() : require(runId);
        if (r.status().isTerminal() || r.status() == RunStatus.QUEUED) {
            return r;
        }
        ran.set(true);
        if (r.status() == RunStatus.RUNNING && !engine.store().memberId().equals(r.owner())) {
            Mutation.Result claim = engine.store().apply(runId, new Mutation.ClaimRun(
                    "taken over from " + (r.owner() == null ? "an instance that stopped" : "member " + r.owner()),
                    engine.maxTakeovers()));
            if (Mutation.refusedAsNotOwner(claim)) {
                // a live member executes it: that one goes round again, so nothing that happened here is missed
                engine.runRequests().send(claim.record().owner(), runId);
                return claim.record();
            }
            r = claim.record() != null ? claim.record() : require(runId);
            if (r.status() != RunStatus.RUNNING) {
                return r;
            }
        }
        Exchange exchange = new DefaultExchange(engine.camelContext());
        exchange.setProperty(RunRecords.RUN_ID, runId);
        exchange.setProperty(RunRecords.RECORD, r);
        if (known != null && known.creation() != null) {
            RunRecords.deferApplied(exchange, known.creation(), r);
        }
        exchange.getMessage().setBody(engine.values().resolve(r.input()));
        Exchange done = template().send(routeEndpoint(r.workflow()), exchange);
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

    /** A finished sub-workflow run continues its parent. */
    private void notifyParent(RunRecord child) {
        if (child != null && child.parentRunId() != null && child.status().isTerminal()) {
            RunRecord parent = engine.store().get(child.parentRunId());
            if (parent != null && !parent.status().isTerminal()) {
                engine.store().apply(parent.runId(), new Mutation.ResumeRun("sub-workflow " + child.runId() + " "
                        + child.status().label()));
                execute(parent.runId());
            }
        }
    }

    /** Resolving an endpoint URI costs more than a whole node: each workflow's is looked up once. */
    private Endpoint routeEndpoint(String workflow) {
        return routeEndpoints.computeIfAbsent(workflow,
                w -> engine.camelContext().getEndpoint(WorkflowRoutes.routeUri(w)));
    }

    private ProducerTemplate template() {
        if (template == null) {
            synchronized (this) {
                if (template == null) {
                    template = engine.camelContext().createProducerTemplate();
                }
            }
        }
        return template;
    }

    private RunRecord require(String runId) {
        RunRecord r = engine.store().get(runId);
        if (r == null) {
            throw new UnknownRunException(runId);
        }
        return r;
    }

    private static final class Execution {
        final CompletableFuture<RunRecord> future = new CompletableFuture<>();
        final AtomicBoolean started = new AtomicBoolean();
        volatile boolean again;
        volatile Known known;
    }
}
