package dev.caravan.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.caravan.dsl.Workflow;
import dev.caravan.event.TraceParent;
import dev.caravan.json.Json;
import dev.caravan.run.Engine;
import dev.caravan.run.IdempotentRunIds;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.RunService;
import dev.caravan.run.StartedRun;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the run endpoints of {@code /api/v1} do, apart from HTTP: each method takes the request's parts (the tenant
 * the caller acts for, the body's bytes, a header) and returns the response, or throws {@link ApiException} (or one of
 * the engine's exceptions, which {@link ApiRoutes} maps to problems).
 */
final class RunApi {

    static final String BASE = "/api/v1";

    /** Runs per page when the request does not say. */
    private static final int DEFAULT_PAGE = 50;
    private static final List<String> DECISIONS = List.of("approve", "reject");
    /** Two inputs are the same request when they write the same JSON, whatever order their members came in. */
    private static final ObjectWriter CANONICAL = Json.MAPPER.writer()
            .with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Supplier<Engine> engine;

    RunApi(Supplier<Engine> engine) {
        this.engine = engine;
    }

    /**
     * {@code POST /api/v1/workflows/run}: starts a run (or returns the run an earlier request with its key started), in
     * the trace of the request's {@code traceparent} header when it has a valid one.
     */
    ApiResponse start(String tenant, byte[] body, String idempotencyKey, String traceparent) {
        Map<String, Object> request = RequestBodies.object(body, "{\"workflow\": \"hello\", \"input\": {...}}");
        String workflow = RequestBodies.string(request, "workflow", true);
        String lane = RequestBodies.string(request, "lane", false);
        String correlationId = RequestBodies.string(request, "correlationId", false);
        Object input = request.containsKey("input") && request.get("input") != null ? request.get("input") : Map.of();
        Engine e = engine.get();
        String runId = null;
        if (idempotencyKey != null) {
            runId = IdempotentRunIds.runId(tenant, idempotencyKey);
            RunRecord earlier = e.queries().get(runId);
            if (earlier != null) {
                if (!sameRequest(earlier, workflow, input, lane)) {
                    throw new ApiException(409, "IDEMPOTENCY_CONFLICT", "Idempotency key reused",
                            "this Idempotency-Key started run " + runId + " with another request; use a new key for a "
                                    + "new request");
                }
                return new ApiResponse(202, started(runId, earlier.status().label()), true);
            }
        }
        return startRun(tenant, workflow, input, lane, runId, correlationId, traceparent);
    }

    /**
     * Starts a run of a deployed workflow in the caller's lane (if any), its events carrying the caller's correlation
     * id (if any) and trace (that of a valid W3C {@code traceparent} header, else the run's own); 202 with the run's
     * id, state and links.
     */
    ApiResponse startRun(String tenant, String workflow, Object input, String lane, String runId,
            String correlationId, String traceparent) {
        // the run service refuses a lane of another tenant as it refuses one that does not exist; a malformed
        // traceparent is ignored, as the trace context specification has it, and the run starts a trace of its own
        StartedRun run = engine.get().runs().start(new RunService.StartRequest(workflow, input, tenant, lane, runId,
                null, null, correlationId, TraceParent.traceId(traceparent)));
        return new ApiResponse(202, started(run.runId(), run.status().label()), false);
    }

    /** {@code GET /api/v1/workflows/{runId}}: the run, when the caller's tenant owns it. */
    ApiResponse get(String tenant, String runId) {
        return new ApiResponse(200, run(owned(tenant, runId)), false);
    }

    /** The run, when the caller's tenant owns it: another tenant's run is as unknown as one that never was. */
    private RunRecord owned(String tenant, String runId) {
        return owned(engine.get(), tenant, runId);
    }

    /** The run, when the tenant owns it: another tenant's run is as unknown as one that never was. */
    static RunRecord owned(Engine engine, String tenant, String runId) {
        RunRecord r = runId == null || runId.isBlank() ? null : engine.queries().get(runId);
        if (r == null || !r.tenant().equals(tenant)) {
            throw new ApiException(404, "RUN_NOT_FOUND", "No such run", "there is no run " + runId);
        }
        return r;
    }

    /**
     * {@code POST /api/v1/approval/resolve}: approves or rejects a gate that awaits approval. The gate is resolved
     * before the answer; the run goes on on the engine's worker pool, never on the HTTP server's thread.
     */
    ApiResponse resolveGate(String tenant, byte[] body) {
        Map<String, Object> request = RequestBodies.object(body,
                "{\"runId\": \"...\", \"node\": \"approve\", \"decision\": \"approve\"}");
        String runId = RequestBodies.string(request, "runId", true);
        String node = RequestBodies.string(request, "node", true);
        boolean approved = RequestBodies.oneOf(request, "decision", DECISIONS).equals("approve");
        String comment = RequestBodies.string(request, "comment", false);
        String by = RequestBodies.string(request, "by", false);
        owned(tenant, runId);
        engine.get().runs().resolveGate(runId, node, approved, by == null ? tenant : by, comment,
                RunService.Continuation.WORKER_POOL);
        return accepted(runId);
    }

    /** {@code POST /api/v1/agent/cancel}: cancels a run; it stops at its next node boundary. */
    ApiResponse cancel(String tenant, byte[] body) {
        Map<String, Object> request = RequestBodies.object(body, "{\"runId\": \"...\", \"reason\": \"...\"}");
        String runId = RequestBodies.string(request, "runId", true);
        String reason = RequestBodies.string(request, "reason", false);
        owned(tenant, runId);
        engine.get().runs().cancel(runId, reason);
        return new ApiResponse(200, run(owned(tenant, runId)), false);
    }

    /**
     * {@code POST /api/v1/runs/{runId}/retry?from=NODE}: runs a node again, and what depends on it, in a run that
     * ended or stopped. The run goes on on the engine's worker pool.
     */
    ApiResponse retry(String tenant, String runId, Map<String, String> query) {
        String from = query.get("from");
        if (from == null || from.isBlank()) {
            throw RequestBodies.invalid("retry needs ?from=NODE, the key of the node to run again");
        }
        RunRecord r = owned(tenant, runId);
        if (r.status() == RunStatus.RUNNING || r.status() == RunStatus.QUEUED) {
            throw new RunConflictException("Run " + runId + " is " + r.status().label() + "; retry a run once it has "
                    + "ended or paused");
        }
        Engine e = engine.get();
        Workflow wf = e.catalog().get(r.workflow());
        String topId = from.split("[.\\[]", 2)[0];
        if (wf != null && wf.nodes().stream().noneMatch(n -> n.id().equals(topId))) {
            throw new ApiException(422, "NODE_NOT_FOUND", "No such node", "workflow " + wf.name() + " has no node "
                    + topId);
        }
        e.runs().retryFrom(runId, from, RunService.Continuation.WORKER_POOL);
        return accepted(runId);
    }

    /** 202 with the run's state as it is now: the run goes on in the background. */
    private ApiResponse accepted(String runId) {
        RunRecord now = engine.get().queries().get(runId);
        return new ApiResponse(202, started(runId, now == null ? RunStatus.RUNNING.label() : now.status().label()),
                false);
    }

    /**
     * {@code GET /api/v1/runs?status=&workflow=&limit=&after=}: the caller's runs, newest first, a page at a time;
     * {@code next} is the cursor of the page after, null on the last.
     */
    ApiResponse runs(String tenant, Map<String, String> query) {
        List<RunStatus> statuses = new ArrayList<>();
        for (String label : query.getOrDefault("status", "").split(",")) {
            if (!label.isBlank()) {
                statuses.add(status(label.strip()));
            }
        }
        String lane = query.get("lane");
        String workflow = query.get("workflow");
        int limit = DEFAULT_PAGE;
        if (query.containsKey("limit")) {
            try {
                limit = Integer.parseInt(query.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > RunQuery.MAX_LIMIT) {
                throw new ApiException(400, "REQUEST_INVALID", "Invalid request", "limit must be a number from 1 to "
                        + RunQuery.MAX_LIMIT);
            }
        }
        String after = query.get("after");
        if (after != null) {
            try {
                RunPage.Cursor.parse(after);
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "REQUEST_INVALID", "Invalid request", "after must be the next cursor "
                        + "of an earlier page");
            }
        }
        RunQuery q = new RunQuery(tenant, workflow == null || workflow.isBlank() ? null : workflow, statuses, limit,
                after, lane == null || lane.isBlank() ? null : lane);
        RunPage page = engine.get().queries().page(q);
        List<Object> runs = new ArrayList<>();
        for (RunRecord r : page.runs()) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("runId", r.runId());
            run.put("workflow", r.workflow());
            run.put("status", r.status().label());
            run.put("lane", r.lane());
            run.put("createdAt", time(r.createdAt()));
            run.put("updatedAt", time(r.updatedAt()));
            run.put("links", links(r.runId()));
            runs.add(run);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runs", runs);
        body.put("next", page.next());
        return new ApiResponse(200, body, false);
    }

    private static RunStatus status(String label) {
        return RunStatus.ofLabel(label).orElseThrow(() -> new ApiException(400, "REQUEST_INVALID", "Invalid request",
                "status " + label + " is not a run state; expected one of: "
                        + String.join(", ", Arrays.stream(RunStatus.values()).map(RunStatus::label).toList())));
    }

    /** {@code GET /api/v1/workflows}: the deployed workflows. */
    ApiResponse workflows() {
        List<Object> list = new ArrayList<>();
        Engine e = engine.get();
        for (String name : e.catalog().names()) {
            Workflow wf = e.catalog().get(name);
            if (wf == null) {
                continue;
            }
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("name", wf.name());
            w.put("hash", wf.hash());
            w.put("description", wf.description());
            list.add(w);
        }
        return new ApiResponse(200, Map.of("workflows", list), false);
    }

    private static boolean sameRequest(RunRecord earlier, String workflow, Object input, String lane) {
        return earlier.workflow().equals(workflow) && Objects.equals(earlier.lane(), lane)
                && canonical(earlier.input()).equals(canonical(input));
    }

    private static String canonical(Object value) {
        try {
            return CANONICAL.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a run's input is JSON", e);
        }
    }

    private static Map<String, Object> started(String runId, String status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", runId);
        body.put("status", status);
        body.put("links", links(runId));
        return body;
    }

    private static Map<String, Object> links(String runId) {
        String self = BASE + "/workflows/" + runId;
        Map<String, Object> links = new LinkedHashMap<>();
        links.put("self", self);
        links.put("events", self + "/events");
        return links;
    }

    /** A run as the API shows it. */
    static Map<String, Object> run(RunRecord r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", r.runId());
        body.put("workflow", r.workflow());
        body.put("workflowHash", r.workflowHash());
        body.put("tenant", r.tenant());
        body.put("lane", r.lane());
        body.put("correlationId", r.correlationId());
        body.put("status", r.status().label());
        body.put("input", r.input());
        body.put("output", r.output());
        body.put("error", r.error());
        body.put("errorNode", r.errorNode());
        body.put("errorCode", r.errorCode());
        body.put("parentRunId", r.parentRunId());
        body.put("costMicros", r.costMicros());
        body.put("tokens", r.tokens());
        body.put("createdAt", time(r.createdAt()));
        body.put("updatedAt", time(r.updatedAt()));
        Map<String, Object> nodes = new LinkedHashMap<>();
        for (NodeRecord n : r.nodes().values()) {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("kind", n.kind());
            node.put("status", n.status().label());
            node.put("output", n.output());
            node.put("error", n.error());
            node.put("errorCode", n.errorCode());
            node.put("attempts", n.attempts());
            node.put("startedAt", time(n.startedAt()));
            node.put("finishedAt", time(n.finishedAt()));
            node.put("costMicros", n.costMicros());
            node.put("tokens", n.tokens());
            nodes.put(n.key(), node);
        }
        body.put("nodes", nodes);
        body.put("links", links(r.runId()));
        return body;
    }

    private static String time(long epochMillis) {
        return epochMillis <= 0 ? null : Instant.ofEpochMilli(epochMillis).toString();
    }
}
