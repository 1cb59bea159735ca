package dev.caravan.run;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.Workflow;
import dev.caravan.json.JsonSize;
import dev.caravan.state.Mutation;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts, inspects and steers runs. Every way of continuing a run (after a crash, an approval, a timer, a retry)
 * is the same operation: execute the workflow route again for the run id, and let completed nodes short-circuit.
 * Used by the CLI and the REST API.
 */
public final class RunService {

    private static final Logger LOG = LoggerFactory.getLogger(RunService.class);

    /** The route that executes a workflow: {@code direct:caravan-workflow-<name>}. */
    public static String routeUri(String workflow) {
        return "direct:" + ROUTE_PREFIX + workflow;
    }

    /**
     * The route that runs the body of a map or loop node once per item or iteration:
     * {@code direct:caravan-workflow-<name>-<container path with '-'>}.
     */
    public static String bodyRouteUri(String workflow, String containerPath) {
        return routeUri(workflow) + "-" + containerPath.replace('/', '-');
    }

    /** Route ids and direct endpoint names of workflows start with this. */
    public static final String ROUTE_PREFIX = "caravan-workflow-";

    private final Engine engine;
    private final Map<String, Execution> inFlight = new ConcurrentHashMap<>();
    private final Map<String, org.apache.camel.Endpoint> routeEndpoints = new ConcurrentHashMap<>();
    private volatile ProducerTemplate template;

    RunService(Engine engine) {
        this.engine = engine;
    }

    /** What to start. {@code runId} may be null (a new id is made); a given id makes the start idempotent. */
    public record StartRequest(String workflow, Object input, String tenant, String lane, String runId,
            String parentRunId, String parentNodeKey) {
        public static StartRequest of(String workflow, Object input) {
            return new StartRequest(workflow, input, null, null, null, null, null);
        }
    }

    /**
     * Creates the run record (after validating the input against the workflow's input schema) and dispatches its
     * execution. Returns when the run has finished or paused.
     */
    public CompletableFuture<RunRecord> start(StartRequest request) {
        // created at once: the run exists when this returns, and a burst of starts is paced by the store (on Java 17
        // each execution takes a pool thread until it pauses or ends)
        Created created = createRecord(request, false);
        if (created.record().status() == RunStatus.QUEUED) {
            // waits for a slot in its lane; the lane starts it
            return CompletableFuture.completedFuture(engine.values().resolve(created.record()));
        }
        return execute(created.record().runId(), created);
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

    /** A queued run got a slot in its lane. */
    void startQueued(String runId) {
        engine.store().apply(runId, new Mutation.ResumeRun("lane slot free"));
        execute(runId);
    }

    /** Creates the run record without executing it; returns its id. Throws {@link InvalidInputException}. */
    public String create(StartRequest request) {
        return createRecord(request, false).record().runId();
    }

    /**
     * A run as created, or as it will be: {@code creation} is the update that creates it when it rides on the run's
     * first update (see {@link #createRecord}), otherwise null.
     */
    private record Created(RunRecord record, Mutation.CreateRun creation) {
    }

    /**
     * Creates the run record. With {@code executesHere} (a run executed on the caller's thread at once), for a run
     * that no lane admits and whose id is made here, the creation rides on the run's first update instead of taking
     * a round trip of its own: nobody can know the id of such a run before its execution's first update, so a run
     * lost before then was never seen by anyone.
     */
    private Created createRecord(StartRequest request, boolean executesHere) {
        String tenant = request.tenant() == null ? "default" : request.tenant();
        refuseIfKilled(request.workflow(), tenant);
        Workflow wf = engine.catalog().get(request.workflow());
        Object input = request.input() == null ? Map.of() : request.input();
        refuseIfTooLarge(request.workflow(), input);
        String hash;
        if (wf != null) {
            engine.catalog().inputValidator(wf).validate(input);
            hash = wf.hash();
        } else if (engine.camelContext().getRoute(ROUTE_PREFIX + request.workflow()) != null) {
            // routes written or compiled by hand: their begin step validates the input
            hash = null;
        } else {
            throw new UnknownWorkflowException(request.workflow(), engine.catalog().names());
        }
        if (request.lane() != null) {
            dev.caravan.state.LaneRecord lane = engine.lanes().get(request.lane());
            if (lane == null) {
                throw new IllegalArgumentException("No lane " + request.lane() + ": create it first");
            }
            if (!lane.tenant().equals(tenant)) {
                throw new IllegalArgumentException("Lane " + request.lane() + " belongs to another tenant");
            }
        }
        String runId = request.runId() != null ? request.runId() : newRunId();
        Mutation.CreateRun creation = new Mutation.CreateRun(runId, request.workflow(), hash, tenant, request.lane(),
                input, request.parentRunId(), request.parentNodeKey());
        if (executesHere && request.runId() == null && request.lane() == null) {
            // as the store would make it: running, owned by this member
            RunRecord planned = creation.apply(null, System.currentTimeMillis()).record()
                    .withOwner(engine.store().memberId(), 0);
            return new Created(planned, creation);
        }
        Mutation.Result created = engine.store().apply(runId, creation);
        if (!created.accepted()) {
            LOG.debug("Run {} exists already: {}", runId, created.reason());
            return new Created(created.record(), null);
        }
        if (request.lane() != null) {
            boolean now;
            try {
                now = engine.lanes().admit(request.lane(), runId);
            } catch (RunConflictException refused) {
                engine.store().apply(runId, new Mutation.CancelRun(refused.getMessage()));
                throw refused;
            }
            if (!now) {
                dev.caravan.state.LaneRecord lane = engine.lanes().get(request.lane());
                int position = lane == null ? 0 : lane.queued().indexOf(runId) + 1;
                return new Created(engine.store().apply(runId, new Mutation.QueueRun(request.lane(), position))
                        .record(), null);
            }
        }
        return new Created(created.record(), null);
    }

    public static String newRunId() {
        return UUID.randomUUID().toString();
    }

    /** The kill switches (a workflow, a tenant, everything) that stop new and running runs. */
    public KillSwitches killSwitches() {
        return engine.killSwitches();
    }

    /** The run, with the values its record holds by reference resolved; null when there is none. */
    public RunRecord get(String runId) {
        return engine.values().resolve(engine.store().get(runId));
    }

    /** Runs of a tenant (all when null) with one of the statuses (all when empty), newest first, values resolved. */
    public List<RunRecord> list(String tenant, List<RunStatus> statuses, int limit) {
        return engine.store().list(tenant, statuses, limit).stream().map(engine.values()::resolve).toList();
    }

    /** Continues a run that paused, failed in the engine, or lost its owner. */
    public CompletableFuture<RunRecord> resume(String runId) {
        RunRecord r = requireRun(runId);
        if (r.status().isTerminal()) {
            return CompletableFuture.completedFuture(engine.values().resolve(r));
        }
        if (r.status() != RunStatus.RUNNING) {
            engine.store().apply(runId, new Mutation.ResumeRun("resume"));
        }
        // a running run is claimed by the execution when its owner is gone, or continued by its live owner
        return execute(runId);
    }

    /**
     * Continues a run that awaits migration (its workflow's definition changed under it) on the deployed definition,
     * accepting that replay on it may decide differently from the one it started with.
     *
     * @throws RunConflictException when the run does not await migration
     */
    public CompletableFuture<RunRecord> migrate(String runId) {
        RunRecord r = requireRun(runId);
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
        requireRun(runId);
        Mutation.Result r = engine.store().apply(runId, new Mutation.CancelRun(reason == null ? "cancelled" : reason));
        if (!r.accepted()) {
            throw new RunConflictException("Cannot cancel run " + runId + ": " + r.reason());
        }
        RunRecord record = get(runId);
        if (record.lane() != null && !inFlight.containsKey(runId)) {
            engine.lanes().release(record.lane(), runId, false);
        }
        for (NodeRecord n : record.nodes().values()) {
            if (n.detail() != null && n.detail().get("childRunId") instanceof String child) { // a workflow node's
                RunRecord c = stored(child);
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
        RunRecord r = requireRun(runId);
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
        return execute(runId);
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
        requireRun(runId);
        Mutation.Result r = engine.store().apply(runId, new Mutation.ResolveGate(nodeKey, approved, by, comment));
        if (!r.accepted()) {
            throw new RunConflictException("Cannot resolve gate " + nodeKey + " of run " + runId + ": " + r.reason());
        }
        engine.store().apply(runId, new Mutation.ResumeRun("gate " + nodeKey + (approved ? " approved" : " rejected")));
        return execute(runId);
    }

    /** Gates awaiting approval in a run and in its sub-workflow runs: run id to node keys. */
    public Map<String, List<String>> pendingGates(String runId) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        collectGates(runId, out);
        return out;
    }

    private void collectGates(String runId, Map<String, List<String>> out) {
        RunRecord r = stored(runId);
        if (r == null) {
            return;
        }
        for (NodeRecord n : r.nodes().values()) {
            // a gate records its message; a map, loop or workflow node awaiting approval mirrors a gate inside it
            if (n.status() == NodeStatus.AWAITING_APPROVAL && n.detail() != null && n.detail().containsKey("message")) {
                out.computeIfAbsent(runId, k -> new ArrayList<>()).add(n.key());
            }
            if (n.detail() != null && n.detail().get("childRunId") instanceof String child) {
                collectGates(child, out);
            }
        }
    }

    /**
     * Schedules the timers of every paused run (gate deadlines, waits): timers live in memory, so an instance that
     * starts on existing state takes them over. A timer that fires on two instances resolves once: the second
     * resolution is refused.
     */
    public void recoverTimers() {
        for (RunRecord r : engine.store().list(null, List.of(RunStatus.AWAITING_APPROVAL, RunStatus.WAITING,
                RunStatus.RUNNING), Integer.MAX_VALUE)) {
            for (NodeRecord n : r.nodes().values()) {
                Map<String, Object> d = n.detail();
                if (d == null) {
                    continue;
                }
                if (n.status() == NodeStatus.AWAITING_APPROVAL && d.get("deadline") instanceof String deadline) {
                    scheduleGateTimeout(r.runId(), n.key(), java.time.Instant.parse(deadline).toEpochMilli(),
                            String.valueOf(d.getOrDefault("onTimeout", "reject")));
                } else if (n.status() == NodeStatus.WAITING && d.get("until") instanceof String until) { // a wait's
                    scheduleWake(r.runId(), n.key(), java.time.Instant.parse(until).toEpochMilli());
                }
            }
        }
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

    /** Whether this instance is executing the run right now. */
    boolean isExecuting(String runId) {
        return inFlight.containsKey(runId);
    }

    /** Schedules a gate's timeout decision, made on the worker pool (see {@link Engine#schedule}). */
    public void scheduleGateTimeout(String runId, String key, long deadline, String onTimeout) {
        engine.schedule(() -> {
            RunRecord r = stored(runId);
            NodeRecord n = r == null ? null : r.node(key);
            if (n == null || n.status() != NodeStatus.AWAITING_APPROVAL) {
                return;
            }
            if ("fail".equals(onTimeout)) {
                // the gate fails when the run reaches it again, so its onError and an enclosing map or loop apply
                if (engine.store().apply(runId, new Mutation.ExpireGate(key)).accepted()) {
                    engine.store().apply(runId, new Mutation.ResumeRun("gate " + key + " timed out"));
                    execute(runId);
                }
            } else {
                try {
                    resolveGate(runId, key, "approve".equals(onTimeout), "timeout", "gate timed out");
                } catch (RunConflictException resolvedMeanwhile) {
                    // a person, or this timer on another instance, decided first
                    LOG.debug("Timeout of gate {} of run {} came too late: {}", key, runId,
                            resolvedMeanwhile.getMessage());
                }
            }
        }, deadline - System.currentTimeMillis());
    }

    /** Schedules the end of a wait node, on the worker pool (see {@link Engine#schedule}). */
    public void scheduleWake(String runId, String key, long dueAt) {
        engine.schedule(() -> {
            Mutation.Result r = engine.store().apply(runId, new Mutation.FinishWait(key));
            if (r.accepted()) {
                engine.store().apply(runId, new Mutation.ResumeRun("wait " + key + " elapsed"));
                execute(runId);
            }
        }, dueAt - System.currentTimeMillis());
    }

    /**
     * Executes the workflow route for a run. One execution per run at a time in this instance: a request that
     * arrives while one is in flight makes it go round once more, so nothing that happened meanwhile is missed.
     */
    public CompletableFuture<RunRecord> execute(String runId) {
        return execute(runId, null);
    }

    /**
     * Starts a run and executes it on the calling thread, returning when it finished or paused: for callers that
     * would only wait for {@link #start}'s future (the CLI, sequential clients), without two thread hand-offs.
     */
    public RunRecord run(StartRequest request) {
        Created created = createRecord(request, true);
        if (created.record().status() == RunStatus.QUEUED) {
            return engine.values().resolve(created.record());
        }
        String runId = created.record().runId();
        Execution ex = enlist(runId, created);
        if (ex.started.compareAndSet(false, true)) {
            drive(runId, ex);
        }
        return ex.future.join();
    }

    /** {@code known} is the run as the caller just created it, saving a read; null when there is none. */
    private CompletableFuture<RunRecord> execute(String runId, Created known) {
        Execution ex = enlist(runId, known);
        if (ex.started.compareAndSet(false, true)) {
            engine.tasks().execute(() -> drive(runId, ex));
        }
        return ex.future;
    }

    /** The run's execution here: the one in flight, now asked to go round once more, or a new one to start. */
    private Execution enlist(String runId, Created known) {
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
                Created known = ex.known;
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

    private RunRecord executeOnce(String runId, Created known, AtomicBoolean ran) {
        RunRecord r = known != null ? known.record() : requireRun(runId);
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
            r = claim.record() != null ? claim.record() : requireRun(runId);
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
        RunRecords.flush(engine, done, runId);
        // the end step leaves the record of the run's outcome; anything else is read afresh
        RunRecord after = done.getProperty(RunRecords.RECORD, RunRecord.class);
        if (after == null || !(after.status().isTerminal() || after.status().isPaused()) || done.getException() != null) {
            after = stored(runId);
        }
        if (done.getException() != null && engine.isStopping()) {
            LOG.debug("Run {} left {} by shutdown", runId, after.status().label());
        } else if (done.getException() != null && !after.status().isTerminal()) {
            Exception e = done.getException();
            LOG.warn("Run {} stopped by an engine error", runId, e);
            engine.store().apply(runId, new Mutation.FailRun(e.getClass().getName(), String.valueOf(e.getMessage())));
            after = stored(runId);
        }
        return after;
    }

    /** A finished sub-workflow run continues its parent. */
    private void notifyParent(RunRecord child) {
        if (child != null && child.parentRunId() != null && (child.status().isTerminal())) {
            RunRecord parent = stored(child.parentRunId());
            if (parent != null && !parent.status().isTerminal()) {
                engine.store().apply(parent.runId(), new Mutation.ResumeRun("sub-workflow " + child.runId() + " "
                        + child.status().label()));
                execute(parent.runId());
            }
        }
    }

    /** Resolving an endpoint URI costs more than a whole node: each workflow's is looked up once. */
    private org.apache.camel.Endpoint routeEndpoint(String workflow) {
        return routeEndpoints.computeIfAbsent(workflow, w -> engine.camelContext().getEndpoint(routeUri(w)));
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

    /**
     * The run as stored: values over the inline threshold are references. The engine reads these; callers of
     * {@link #get} and the futures get them resolved.
     */
    RunRecord stored(String runId) {
        return engine.store().get(runId);
    }

    private RunRecord requireRun(String runId) {
        RunRecord r = stored(runId);
        if (r == null) {
            throw new UnknownRunException(runId);
        }
        return r;
    }

    private static final class Execution {
        final CompletableFuture<RunRecord> future = new CompletableFuture<>();
        final AtomicBoolean started = new AtomicBoolean();
        volatile boolean again;
        volatile Created known;
    }
}
