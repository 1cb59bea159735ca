package dev.caravan.run;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.event.TraceParent;
import dev.caravan.json.JsonSize;
import dev.caravan.state.LaneRecord;
import dev.caravan.state.Mutation;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The run commands: start, resume, migrate, cancel, retry, approve. Each validates what it is asked, records the
 * change in the run store and hands the run to the {@link RunExecutor}; reads are {@link RunQueries}'. Used by the
 * CLI, the REST API and the components that start runs.
 */
public final class RunService {

    private static final Logger LOG = LoggerFactory.getLogger(RunService.class);

    private final Engine engine;
    private final RunCompletions completions;

    RunService(Engine engine) {
        this.engine = engine;
        this.completions = new RunCompletions(engine);
    }

    /**
     * Where a command that continues a run (a gate resolved, a retry) carries it on: on the caller's thread until the
     * run waits on something, saving a hand-off, or on the worker pool, for callers whose thread must not be held (an
     * HTTP server's event loop).
     */
    public enum Continuation {
        CALLER_THREAD, WORKER_POOL
    }

    /**
     * What to start. {@code runId} may be null (a new id is made); a given id makes the start idempotent.
     * {@code traceId} is the W3C trace the run's events join (32 lowercase hex digits, see
     * {@link TraceParent#traceId}), or null for the trace of the run's id.
     */
    public record StartRequest(String workflow, Object input, String tenant, String lane, String runId,
            String parentRunId, String parentNodeKey, String correlationId, String traceId) {

        /** A start in the trace of the run's own id. */
        public StartRequest(String workflow, Object input, String tenant, String lane, String runId,
                String parentRunId, String parentNodeKey, String correlationId) {
            this(workflow, input, tenant, lane, runId, parentRunId, parentNodeKey, correlationId, null);
        }

        /** A start with no correlation id. */
        public StartRequest(String workflow, Object input, String tenant, String lane, String runId,
                String parentRunId, String parentNodeKey) {
            this(workflow, input, tenant, lane, runId, parentRunId, parentNodeKey, null);
        }

        public static StartRequest of(String workflow, Object input) {
            return new StartRequest(workflow, input, null, null, null, null, null);
        }
    }

    /**
     * Creates the run record (after validating the input against the workflow's input schema) and dispatches its
     * execution to the worker pool, returning at once with the run's id; the returned future completes when the run
     * has finished or paused.
     */
    public StartedRun start(StartRequest request) {
        // created at once: the run exists when this returns, and a burst of starts is paced by the store (an execution
        // holds a pool thread only until the run first waits on something)
        RunExecutor.Known created = createRecord(request, false);
        if (created.record().status() == RunStatus.QUEUED) {
            // waits for a slot in its lane; the lane starts it
            return StartedRun.of(created.record(),
                    CompletableFuture.completedFuture(engine.values().resolve(created.record())));
        }
        return StartedRun.of(created.record(), engine.executor().execute(created.record().runId(), created));
    }

    /**
     * Creates a run for a workflow route entered without one (the route run directly in plain Camel, where the
     * route's own input schema and definition hash stand in for the catalog's).
     */
    public RunRecord createForRoute(String workflow, String workflowHash, InputValidator validator, Object input) {
        refuseIfKilled(workflow, "default");
        refuseIfTooLarge(workflow, input);
        validator.validate(input);
        String runId = newRunId();
        return engine.store().apply(runId, new Mutation.CreateRun(runId, workflow, workflowHash, "default", null, input,
                null, null)).record();
    }

    /** A run records its input as it records node outputs, so the same limit holds. */
    private void refuseIfTooLarge(String workflow, Object input) {
        long cap = engine.maxValueBytes();
        long size = JsonSize.bytes(input, cap);
        if (size > cap) {
            throw new InvalidInputException(workflow, List.of("the input is more than " + cap + " bytes of JSON, the "
                    + "limit for a value a run records; raise it with the property caravan.runs.max-value-bytes"));
        }
    }

    private void refuseIfKilled(String workflow, String tenant) {
        engine.killSwitches().stopping(workflow, tenant).ifPresent(reason -> {
            throw new KillSwitchException("Run of workflow " + workflow + " refused: " + reason);
        });
    }

    /** Creates the run record without executing it; returns its id. Throws {@link InvalidInputException}. */
    public String create(StartRequest request) {
        return createRecord(request, false).record().runId();
    }

    /**
     * Creates the run record. With {@code executesHere} (a run executed on the caller's thread at once), for a run
     * that no lane admits and whose id is made here, the creation rides on the run's first update instead of taking
     * a round trip of its own: nobody can know the id of such a run before its execution's first update, so a run
     * lost before then was never seen by anyone.
     */
    private RunExecutor.Known createRecord(StartRequest request, boolean executesHere) {
        String tenant = request.tenant() == null ? "default" : request.tenant();
        refuseIfKilled(request.workflow(), tenant);
        Workflow wf = engine.catalog().get(request.workflow());
        Object input = request.input() == null ? Map.of() : request.input();
        refuseIfTooLarge(request.workflow(), input);
        String hash;
        if (wf != null) {
            engine.catalog().inputValidator(wf).validate(input);
            hash = wf.hash();
        } else if (engine.camelContext().getRoute(WorkflowRoutes.ROUTE_PREFIX + request.workflow()) != null) {
            // routes written or compiled by hand: their begin step validates the input
            hash = null;
        } else {
            throw new UnknownWorkflowException(request.workflow(), engine.catalog().names());
        }
        if (request.lane() != null) {
            // another tenant's lane is as unknown as one that never was: the caller learns nothing of other tenants
            LaneRecord lane = engine.lanes().get(request.lane());
            if (lane == null || !lane.tenant().equals(tenant)) {
                throw new UnknownLaneException(request.lane());
            }
        }
        String runId = request.runId() != null ? request.runId() : newRunId();
        Mutation.CreateRun creation = new Mutation.CreateRun(runId, request.workflow(), hash, tenant, request.lane(),
                input, request.parentRunId(), request.parentNodeKey(), request.correlationId(), request.traceId());
        if (executesHere && request.runId() == null && request.lane() == null) {
            // as the store would make it: running, owned by this member
            RunRecord planned = creation.apply(null, System.currentTimeMillis()).record()
                    .withOwner(engine.store().memberId(), 0);
            return new RunExecutor.Known(planned, creation);
        }
        Mutation.Result created = engine.store().apply(runId, creation);
        if (!created.accepted()) {
            LOG.debug("Run {} exists already: {}", runId, created.reason());
            return new RunExecutor.Known(created.record(), null);
        }
        if (request.lane() != null) {
            boolean now;
            try {
                now = engine.lanes().admit(request.lane(), runId);
            } catch (RunConflictException refused) {
                engine.store().apply(runId, new Mutation.CancelRun(refused.getMessage(), "lane", null));
                throw refused;
            }
            if (!now) {
                LaneRecord lane = engine.lanes().get(request.lane());
                int position = lane == null ? 0 : lane.queued().indexOf(runId) + 1;
                return new RunExecutor.Known(engine.store().apply(runId, new Mutation.QueueRun(request.lane(), position))
                        .record(), null);
            }
        }
        return new RunExecutor.Known(created.record(), null);
    }

    public static String newRunId() {
        return UUID.randomUUID().toString();
    }

    /**
     * Completes with the run, its values resolved, once it has finished (completed, failed or cancelled) on whichever
     * member, however long it pauses on the way; no thread waits meanwhile. Unlike the futures of {@link #start} and
     * {@link #resume}, which complete when the run pauses too. It completes on the engine's worker pool, or on the
     * calling thread when the run has finished already; exceptionally with {@link UnknownRunException} when there is no
     * such run. A caller that stops waiting completes (or cancels) it, and is forgotten.
     */
    public CompletableFuture<RunRecord> finished(String runId) {
        return completions.finished(runId);
    }

    /** The instance stops: whoever waits for a run to finish stops waiting ({@link RunWaitTimeoutException}). */
    void stopWaiting() {
        completions.stopWaiting();
    }

    /**
     * Continues a run that paused, failed in the engine, or lost its owner. Like every command that continues a run
     * (a gate resolved, a retry), it goes on on the calling thread until the run waits on something or ends, with no
     * hand-off; the future completes when it finished or paused again.
     */
    public CompletableFuture<RunRecord> resume(String runId) {
        RunRecord r = engine.executor().require(runId);
        if (r.status().isTerminal()) {
            return CompletableFuture.completedFuture(engine.values().resolve(r));
        }
        if (r.status() != RunStatus.RUNNING) {
            engine.store().apply(runId, new Mutation.ResumeRun("resume"));
        }
        // a running run is claimed by the execution when its owner is gone, or continued by its live owner
        return engine.executor().continueHere(runId);
    }

    /**
     * Continues a run that awaits migration (its workflow's definition changed under it) on the deployed definition,
     * accepting that replay on it may decide differently from the one it started with.
     *
     * @throws RunConflictException when the run does not await migration
     */
    public CompletableFuture<RunRecord> migrate(String runId) {
        RunRecord r = engine.executor().require(runId);
        if (r.status() != RunStatus.AWAITING_MIGRATION) {
            throw new RunConflictException("Run " + runId + " is " + r.status().label() + ", not awaiting migration");
        }
        Workflow wf = engine.catalog().get(r.workflow());
        if (wf == null) {
            throw new UnknownWorkflowException(r.workflow(), engine.catalog().names());
        }
        engine.store().apply(runId, new Mutation.MigrateRun(wf.hash()));
        return resume(runId);
    }

    /** Cancels a run: it stops at its next node boundary and before any LLM call. */
    public RunRecord cancel(String runId, String reason) {
        engine.executor().require(runId);
        Mutation.Result r = engine.store().apply(runId, new Mutation.CancelRun(reason == null ? "cancelled" : reason));
        if (!r.accepted()) {
            throw new RunConflictException("Cannot cancel run " + runId + ": " + r.reason());
        }
        RunRecord record = engine.queries().get(runId);
        if (record.lane() != null && !engine.executor().isExecuting(runId)) {
            engine.lanes().release(record.lane(), runId, false);
        }
        for (NodeRecord n : record.nodes().values()) {
            if (n.detail() != null && n.detail().get("childRunId") instanceof String child) {
                RunRecord c = engine.store().get(child);
                if (c != null && !c.status().isTerminal()) {
                    cancel(child, reason);
                }
            }
        }
        return record;
    }

    /**
     * Runs a node again, and everything that depends on it: forgets their records, then resumes. Works on failed
     * and on completed runs.
     */
    public CompletableFuture<RunRecord> retryFrom(String runId, String nodeKey) {
        return retryFrom(runId, nodeKey, Continuation.CALLER_THREAD);
    }

    /** As {@link #retryFrom(String, String)}, the run going on where {@code continuation} says. */
    public CompletableFuture<RunRecord> retryFrom(String runId, String nodeKey, Continuation continuation) {
        RunRecord r = engine.executor().require(runId);
        if (r.status() == RunStatus.CANCELLED) {
            throw new RunConflictException("Run " + runId + " is cancelled");
        }
        Workflow wf = engine.catalog().get(r.workflow());
        if (wf == null) {
            throw new UnknownWorkflowException(r.workflow(), engine.catalog().names());
        }
        String topId = nodeKey.contains(".") || nodeKey.contains("[") ? nodeKey.split("[.\\[]", 2)[0] : nodeKey;
        if (wf.nodes().stream().noneMatch(n -> n.id().equals(topId))) {
            throw new IllegalArgumentException("Workflow " + wf.name() + " has no node " + topId);
        }
        Set<String> ids = downstream(wf.nodes(), topId);
        List<String> keys = new ArrayList<>();
        for (String key : r.nodes().keySet()) {
            String id = key.split("[.\\[]", 2)[0];
            if (ids.contains(id) && (!id.equals(topId) || key.equals(nodeKey) || nodeKey.equals(topId)
                    || key.startsWith(nodeKey))) {
                keys.add(key);
            }
        }
        // the enclosing container of an inner key must re-run too
        if (!nodeKey.equals(topId)) {
            keys.add(topId);
        }
        engine.store().apply(runId, new Mutation.ClearNodes(nodeKey, keys));
        return continueRun(runId, continuation);
    }

    private static Set<String> downstream(List<Node> nodes, String from) {
        Set<String> out = new HashSet<>();
        out.add(from);
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Node n : nodes) {
                if (!out.contains(n.id()) && n.needs().stream().anyMatch(out::contains)) {
                    out.add(n.id());
                    grew = true;
                }
            }
        }
        return out;
    }

    /** Approves or rejects a gate, then resumes the run. */
    public CompletableFuture<RunRecord> resolveGate(String runId, String nodeKey, boolean approved, String by,
            String comment) {
        return resolveGate(runId, nodeKey, approved, by, comment, Continuation.CALLER_THREAD);
    }

    /**
     * As {@link #resolveGate(String, String, boolean, String, String)}, the run going on where {@code continuation}
     * says; the gate is resolved (or refused) before this returns either way.
     */
    public CompletableFuture<RunRecord> resolveGate(String runId, String nodeKey, boolean approved, String by,
            String comment, Continuation continuation) {
        engine.executor().require(runId);
        Mutation.Result r = engine.store().apply(runId, new Mutation.ResolveGate(nodeKey, approved, by, comment));
        if (!r.accepted()) {
            throw new RunConflictException("Cannot resolve gate " + nodeKey + " of run " + runId + ": " + r.reason());
        }
        engine.store().apply(runId, new Mutation.ResumeRun("gate " + nodeKey + (approved ? " approved" : " rejected")));
        return continueRun(runId, continuation);
    }

    private CompletableFuture<RunRecord> continueRun(String runId, Continuation continuation) {
        return continuation == Continuation.WORKER_POOL ? engine.executor().execute(runId)
                : engine.executor().continueHere(runId);
    }

    /**
     * Resumes the runs this member holds whose owner is gone (a member that left the cluster, or an instance that
     * stopped before a restart on a persistent store), repairs its lanes, and asks live owners about runs that made
     * no progress for a while. The engine does this when a member leaves and every few seconds. Returns the runs
     * resumed here.
     */
    public List<String> resumeOrphans() {
        return engine.reaper().sweep().resumed();
    }

    /**
     * Starts a run and executes it on the calling thread, returning when it finished or paused: for callers that
     * would only wait for {@link #start}'s future (the CLI, sequential clients), without two thread hand-offs.
     */
    public RunRecord run(StartRequest request) {
        RunExecutor.Known created = createRecord(request, true);
        if (created.record().status() == RunStatus.QUEUED) {
            return engine.values().resolve(created.record());
        }
        String runId = created.record().runId();
        return engine.executor().executeHere(runId, created);
    }
}
