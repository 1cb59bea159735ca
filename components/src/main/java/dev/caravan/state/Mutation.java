package dev.caravan.state;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.caravan.event.EventTypes;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A change to one run record. Mutations are pure: {@link #apply} computes the next record and the events the
 * change produces, so the store can run it atomically wherever the record lives (a Hazelcast partition thread)
 * and replicate only data. They travel as JSON, never Java serialization.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Mutation.CreateRun.class, name = "createRun"),
        @JsonSubTypes.Type(value = Mutation.StartNode.class, name = "startNode"),
        @JsonSubTypes.Type(value = Mutation.CompleteNode.class, name = "completeNode"),
        @JsonSubTypes.Type(value = Mutation.SkipNode.class, name = "skipNode"),
        @JsonSubTypes.Type(value = Mutation.FailNode.class, name = "failNode"),
        @JsonSubTypes.Type(value = Mutation.PauseNode.class, name = "pauseNode"),
        @JsonSubTypes.Type(value = Mutation.ResolveGate.class, name = "resolveGate"),
        @JsonSubTypes.Type(value = Mutation.FinishWait.class, name = "finishWait"),
        @JsonSubTypes.Type(value = Mutation.ExpireGate.class, name = "expireGate"),
        @JsonSubTypes.Type(value = Mutation.PauseRun.class, name = "pauseRun"),
        @JsonSubTypes.Type(value = Mutation.ResumeRun.class, name = "resumeRun"),
        @JsonSubTypes.Type(value = Mutation.CompleteRun.class, name = "completeRun"),
        @JsonSubTypes.Type(value = Mutation.FailRun.class, name = "failRun"),
        @JsonSubTypes.Type(value = Mutation.CancelRun.class, name = "cancelRun"),
        @JsonSubTypes.Type(value = Mutation.ClearNodes.class, name = "clearNodes"),
        @JsonSubTypes.Type(value = Mutation.Emit.class, name = "emit"),
        @JsonSubTypes.Type(value = Mutation.QueueRun.class, name = "queueRun"),
        @JsonSubTypes.Type(value = Mutation.ClaimRun.class, name = "claimRun"),
        @JsonSubTypes.Type(value = Mutation.MigrateRun.class, name = "migrateRun")
})
public sealed interface Mutation {

    /**
     * What applying a mutation did, and the record after it (as it was, when rejected; null when the run does not
     * exist).
     */
    record Result(boolean accepted, String reason, RunStatus status, RunRecord record) {
    }

    /** An event the mutation produces; the store numbers it. */
    record EventDraft(String type, String node, Object data) {
    }

    /** The next record and its events, or a rejection that leaves the record unchanged. */
    record Applied(RunRecord record, List<EventDraft> events, String rejection) {
        static Applied rejected(RunRecord current, String why) {
            return new Applied(current, List.of(), why);
        }

        static Applied of(RunRecord record, EventDraft... events) {
            return new Applied(record, List.of(events), null);
        }
    }

    /**
     * @param current the current record, or null when the run does not exist
     * @param now     epoch millis
     */
    Applied apply(RunRecord current, long now);

    /** How a mutation stands to the member that owns a running run ({@link RunRecord#owner()}). */
    enum Ownership {
        /** Progress of an execution: only the owner of a running run records it, so a deposed owner cannot. */
        OWNER_ONLY,
        /** Starts or continues an execution: the caller becomes the owner, unless a live member owns the run. */
        CLAIMS,
        /** Steering that may come from any member: approvals, timers, cancellation. */
        ANY
    }

    /** The store enforces this before applying the mutation. */
    default Ownership ownership() {
        return Ownership.OWNER_ONLY;
    }

    /** The error code of a failure no other code describes. */
    String ERROR = "ERROR";
    /**
     * The code of a node refused by a budget before its call left the process: its failure is also a
     * {@code caravan.policy.denied} event.
     */
    String BUDGET = "BUDGET";

    /** The error code of a run failed because it lost its owner too often. */
    String RUN_LOST = "RUN_LOST";

    /** The start of the reason a mutation is refused with when another member owns the run. */
    String NOT_OWNER = "run is owned by member ";

    /** Whether a refusal was because another member owns the run; its record then names the owner. */
    static boolean refusedAsNotOwner(Result r) {
        return !r.accepted() && r.reason() != null && r.reason().startsWith(NOT_OWNER);
    }

    // --- helpers shared by the mutations ---

    private static RunRecord with(RunRecord r, long now, RunStatus status, Object output, String error, String errorNode,
            String errorCode, long addCost, long addTokens, Map<String, NodeRecord> nodes) {
        return new RunRecord(r.runId(), r.workflow(), r.workflowHash(), r.tenant(), r.lane(), status, r.input(), output,
                error, errorNode, r.createdAt(), now, r.sequence(), r.parentRunId(), r.parentNodeKey(),
                r.costMicros() + addCost, r.tokens() + addTokens,
                nodes == r.nodes() ? nodes : Collections.unmodifiableMap(nodes), r.owner(), r.takeovers(),
                errorCode, r.correlationId(), r.traceId(), r.outbox());
    }

    private static RunRecord withNode(RunRecord r, long now, NodeRecord node) {
        Map<String, NodeRecord> nodes = new LinkedHashMap<>(r.nodes());
        nodes.put(node.key(), node);
        return with(r, now, r.status(), r.output(), r.error(), r.errorNode(), r.errorCode(), 0, 0, nodes);
    }

    private static RunRecord withStatus(RunRecord r, long now, RunStatus status) {
        return with(r, now, status, r.output(), r.error(), r.errorNode(), r.errorCode(), 0, 0, r.nodes());
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    private static String refuseUnlessActive(RunRecord r) {
        if (r == null) {
            return "no such run";
        }
        if (r.status().isTerminal()) {
            return "run is " + r.status().label();
        }
        return null;
    }

    // --- the mutations ---

    record CreateRun(String runId, String workflow, String workflowHash, String tenant, String lane, Object input,
            String parentRunId, String parentNodeKey, String correlationId, String traceId) implements Mutation {
        public CreateRun {
            input = Frozen.copyOf(input);
        }

        /** A run started in the trace of its own id. */
        public CreateRun(String runId, String workflow, String workflowHash, String tenant, String lane, Object input,
                String parentRunId, String parentNodeKey, String correlationId) {
            this(runId, workflow, workflowHash, tenant, lane, input, parentRunId, parentNodeKey, correlationId, null);
        }

        /** A run started with no correlation id. */
        public CreateRun(String runId, String workflow, String workflowHash, String tenant, String lane, Object input,
                String parentRunId, String parentNodeKey) {
            this(runId, workflow, workflowHash, tenant, lane, input, parentRunId, parentNodeKey, null, null);
        }

        @Override
        public Ownership ownership() {
            return Ownership.CLAIMS;
        }

        public Applied apply(RunRecord current, long now) {
            if (current != null) {
                return Applied.rejected(current, "run exists");
            }
            RunRecord r = new RunRecord(runId, workflow, workflowHash, tenant, lane, RunStatus.RUNNING, input, null,
                    null, null, now, now, 0, parentRunId, parentNodeKey, 0, 0, Map.of(), null, 0, null,
                    correlationId, traceId, List.of());
            return Applied.of(r, new EventDraft(EventTypes.RUN_STARTED, null,
                    map("workflow", workflow, "workflowHash", workflowHash, "input", input,
                            "parentRunId", parentRunId, "parentNodeKey", parentNodeKey)));
        }
    }

    /** An attempt starts. A pending container (map, loop, sub-workflow) may start again to look inside. */
    record StartNode(String key, String kind, int attempt, boolean container) implements Mutation {
        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            NodeRecord old = r.node(key);
            if (old != null && (old.settled() || old.status().isPending() && !container)) {
                return Applied.rejected(r, "node " + key + " is " + old.status().label());
            }
            long startedAt = old != null ? old.startedAt() : now;
            NodeRecord n = new NodeRecord(key, kind, NodeStatus.RUNNING, null, attempt, 0, 0, startedAt, 0,
                    null, null, old != null ? old.detail() : null);
            return Applied.of(withNode(r, now, n),
                    new EventDraft(EventTypes.NODE_STARTED, key, map("kind", kind, "attempt", attempt)));
        }
    }

    /**
     * A node finished with an output. An {@code instant} node (one that computes without side effects, such as
     * {@code set}) is started and completed by this one update.
     */
    record CompleteNode(String key, String kind, Object output, long costMicros, long tokens,
            Map<String, Object> detail, boolean instant, String lastDelta) implements Mutation {
        public CompleteNode {
            output = Frozen.copyOf(output);
            detail = Frozen.map(detail);
        }

        public CompleteNode(String key, String kind, Object output, long costMicros, long tokens,
                Map<String, Object> detail) {
            this(key, kind, output, costMicros, tokens, detail, false, null);
        }

        public Applied apply(RunRecord r, long now) {
            if (r == null) {
                return Applied.rejected(null, "no such run");
            }
            if (instant && r.status().isTerminal()) {
                return Applied.rejected(r, "run is " + r.status().label());
            }
            NodeRecord old = r.node(key);
            if (old != null && old.settled()) {
                return Applied.rejected(r, "node " + key + " is " + old.status().label());
            }
            long startedAt = old != null ? old.startedAt() : now;
            int attempts = old != null ? old.attempts() : 1;
            Map<String, Object> d = detail != null ? detail : old != null ? old.detail() : null;
            NodeRecord n = new NodeRecord(key, kind, NodeStatus.COMPLETED, output, attempts, costMicros, tokens,
                    startedAt, now, null, null, d);
            Map<String, NodeRecord> nodes = new LinkedHashMap<>(r.nodes());
            nodes.put(key, n);
            RunRecord next = with(r, now, r.status(), r.output(), r.error(), r.errorNode(), r.errorCode(), costMicros,
                    tokens, nodes);
            List<EventDraft> events = new ArrayList<>(3);
            if (instant && old == null) {
                events.add(new EventDraft(EventTypes.NODE_STARTED, key, map("kind", kind, "attempt", attempts)));
            }
            if (lastDelta != null && !lastDelta.isEmpty()) {
                events.add(new EventDraft(EventTypes.NODE_OUTPUT_DELTA, key, map("text", lastDelta)));
            }
            Map<String, Object> completed = map("kind", kind, "output", output, "durationMs", now - startedAt,
                    "attempts", attempts, "costMicros", costMicros, "tokens", tokens);
            if (detail != null) {
                // what the node reports about how it ran: the model that answered and its attempts and fallbacks,
                // a map's items, a loop's iterations, a child run's id
                detail.forEach(completed::putIfAbsent);
            }
            events.add(new EventDraft(EventTypes.NODE_COMPLETED, key, completed));
            if (costMicros > 0 || tokens > 0) {
                events.add(new EventDraft(EventTypes.COST_UPDATED, key,
                        map("nodeCostMicros", costMicros, "nodeTokens", tokens,
                                "runCostMicros", next.costMicros(), "runTokens", next.tokens())));
            }
            return new Applied(next, events, null);
        }
    }

    record SkipNode(String key, String kind, String reason) implements Mutation {
        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            NodeRecord old = r.node(key);
            if (old != null && old.settled()) {
                return Applied.rejected(r, "node " + key + " is " + old.status().label());
            }
            NodeRecord n = new NodeRecord(key, kind, NodeStatus.SKIPPED, null, 0, 0, 0, now, now, null, null, null);
            return Applied.of(withNode(r, now, n),
                    new EventDraft(EventTypes.NODE_SKIPPED, key, map("kind", kind, "reason", reason)));
        }
    }

    /**
     * A failed attempt, with its stable error {@code code} (null: {@code ERROR}). With {@code retryInMillis >= 0} the
     * node stays running and is retried; otherwise the node fails and, unless {@code runFails} is false, so does the
     * run. A {@code continued} failure ({@code onError: continue}) is final for the node, and the nodes after it run.
     */
    record FailNode(String key, String kind, String errorClass, String code, String message, long retryInMillis,
            boolean runFails, boolean continued) implements Mutation {
        public FailNode(String key, String kind, String errorClass, String message, long retryInMillis,
                boolean runFails) {
            this(key, kind, errorClass, null, message, retryInMillis, runFails, false);
        }

        public Applied apply(RunRecord r, long now) {
            if (r == null) {
                return Applied.rejected(null, "no such run");
            }
            NodeRecord old = r.node(key);
            if (old != null && old.settled()) {
                return Applied.rejected(r, "node " + key + " is " + old.status().label());
            }
            boolean retrying = retryInMillis >= 0;
            String c = code != null ? code : ERROR;
            NodeRecord n = new NodeRecord(key, kind, retrying ? NodeStatus.RUNNING : NodeStatus.FAILED, null,
                    old != null ? old.attempts() : 1, 0, 0, old != null ? old.startedAt() : now,
                    retrying ? 0 : now, message, errorClass, old != null ? old.detail() : null, c,
                    !retrying && continued);
            Map<String, NodeRecord> nodes = new LinkedHashMap<>(r.nodes());
            nodes.put(key, n);
            List<EventDraft> events = new ArrayList<>(3);
            if (!retrying && BUDGET.equals(c)) {
                events.add(new EventDraft(EventTypes.POLICY_DENIED, key, map("policy", "budget", "reason", message)));
            }
            events.add(new EventDraft(EventTypes.NODE_FAILED, key, map("kind", kind, "attempt", n.attempts(),
                    "errorClass", errorClass, "code", c, "message", message, "willRetry", retrying,
                    "retryInMs", retrying ? retryInMillis : null, "continued", n.continued() ? true : null)));
            RunRecord next;
            if (!retrying && runFails && !continued && !r.status().isTerminal()) {
                next = with(r, now, RunStatus.FAILED, null, message, key, c, 0, 0, nodes);
                events.add(new EventDraft(EventTypes.RUN_FAILED, null,
                        map("node", key, "errorClass", errorClass, "code", c, "message", message)));
            } else {
                next = with(r, now, r.status(), r.output(), r.error(), r.errorNode(), r.errorCode(), 0, 0, nodes);
            }
            return new Applied(next, events, null);
        }
    }

    /** A gate now awaits approval, or a wait sleeps. {@code detail} holds the message/deadline or due time. */
    record PauseNode(String key, String kind, NodeStatus status, Map<String, Object> detail) implements Mutation {
        public PauseNode {
            detail = Frozen.map(detail);
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            NodeRecord old = r.node(key);
            if (old != null && (old.settled() || old.status().isPending())) {
                return Applied.rejected(r, "node " + key + " is " + old.status().label());
            }
            NodeRecord n = new NodeRecord(key, kind, status, null, old != null ? old.attempts() : 1, 0, 0,
                    old != null ? old.startedAt() : now, 0, null, null, detail);
            String type = status == NodeStatus.AWAITING_APPROVAL ? EventTypes.APPROVAL_REQUESTED : EventTypes.NODE_WAITING;
            Map<String, Object> data = new LinkedHashMap<>(detail);
            data.put("kind", kind);
            return Applied.of(withNode(r, now, n), new EventDraft(type, key, data));
        }
    }

    record ResolveGate(String key, boolean approved, String by, String comment) implements Mutation {
        @Override
        public Ownership ownership() {
            return Ownership.ANY;
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            NodeRecord old = r.node(key);
            if (old == null || old.status() != NodeStatus.AWAITING_APPROVAL) {
                return Applied.rejected(r, "no gate awaits approval at " + key);
            }
            Map<String, Object> output = map("approved", approved, "by", by, "comment", comment,
                    "at", Instant.ofEpochMilli(now).toString());
            NodeRecord n = new NodeRecord(key, old.kind(), approved ? NodeStatus.COMPLETED : NodeStatus.REJECTED,
                    output, old.attempts(), 0, 0, old.startedAt(), now, null, null, old.detail());
            return Applied.of(withNode(r, now, n), new EventDraft(EventTypes.APPROVAL_RESOLVED, key, output));
        }
    }

    /**
     * A gate whose timeout says {@code fail} timed out: it runs again (as the same attempt) and fails there, where the
     * node's {@code onError} and its enclosing map or loop decide what the failure does to the run.
     */
    record ExpireGate(String key) implements Mutation {
        /** Set in the gate's detail once it timed out. */
        public static final String TIMED_OUT = "timedOut";

        @Override
        public Ownership ownership() {
            return Ownership.ANY;
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            NodeRecord old = r.node(key);
            if (old == null || old.status() != NodeStatus.AWAITING_APPROVAL) {
                return Applied.rejected(r, "no gate awaits approval at " + key);
            }
            Map<String, Object> detail = new LinkedHashMap<>(old.detail() == null ? Map.of() : old.detail());
            detail.put(TIMED_OUT, true);
            NodeRecord n = new NodeRecord(key, old.kind(), NodeStatus.RUNNING, null, old.attempts(), 0, 0,
                    old.startedAt(), 0, null, null, Frozen.map(detail));
            return new Applied(withNode(r, now, n), List.of(), null);
        }
    }

    record FinishWait(String key) implements Mutation {
        @Override
        public Ownership ownership() {
            return Ownership.ANY;
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            NodeRecord old = r.node(key);
            if (old == null || old.status() != NodeStatus.WAITING) {
                return Applied.rejected(r, "no wait is pending at " + key);
            }
            Map<String, Object> output = map("waitedUntil", Instant.ofEpochMilli(now).toString());
            NodeRecord n = new NodeRecord(key, old.kind(), NodeStatus.COMPLETED, output, old.attempts(), 0, 0,
                    old.startedAt(), now, null, null, old.detail());
            return Applied.of(withNode(r, now, n), new EventDraft(EventTypes.NODE_COMPLETED, key,
                    map("kind", old.kind(), "output", output, "durationMs", now - old.startedAt())));
        }
    }

    record PauseRun(RunStatus status, List<String> pending) implements Mutation {
        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            if (r.status() == status) {
                return Applied.rejected(r, "run is already " + status.label());
            }
            return Applied.of(withStatus(r, now, status),
                    new EventDraft(EventTypes.RUN_PAUSED, null, map("status", status.label(), "pending", pending)));
        }
    }

    record ResumeRun(String reason) implements Mutation {
        @Override
        public Ownership ownership() {
            return Ownership.CLAIMS;
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            if (r.status() == RunStatus.RUNNING) {
                return new Applied(r, List.of(), null);
            }
            return Applied.of(withStatus(r, now, RunStatus.RUNNING),
                    new EventDraft(EventTypes.RUN_RESUMED, null, map("reason", reason)));
        }
    }

    record CompleteRun(Object output) implements Mutation {
        public CompleteRun {
            output = Frozen.copyOf(output);
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            RunRecord next = with(r, now, RunStatus.COMPLETED, output, null, null, null, 0, 0, r.nodes());
            return Applied.of(next, new EventDraft(EventTypes.RUN_COMPLETED, null,
                    map("output", output, "durationMs", now - r.createdAt(), "costMicros", r.costMicros(),
                            "tokens", r.tokens())));
        }
    }

    /**
     * Fails the run for a reason outside any node (invalid output expression, a missing sub-workflow, ...), with a
     * stable error code (null: {@code ERROR}).
     */
    record FailRun(String errorClass, String code, String message) implements Mutation {
        public FailRun(String errorClass, String message) {
            this(errorClass, null, message);
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            String c = code != null ? code : ERROR;
            RunRecord next = with(r, now, RunStatus.FAILED, null, message, null, c, 0, 0, r.nodes());
            return Applied.of(next, new EventDraft(EventTypes.RUN_FAILED, null,
                    map("errorClass", errorClass, "code", c, "message", message)));
        }
    }

    /**
     * Cancels the run. With {@code deniedBy}, a policy stopped it ({@code kill-switch}, {@code lane}): a
     * {@code caravan.policy.denied} event, about {@code node} when it stopped before one, comes first.
     */
    record CancelRun(String reason, String deniedBy, String node) implements Mutation {
        public CancelRun(String reason) {
            this(reason, null, null);
        }

        @Override
        public Ownership ownership() {
            return Ownership.ANY;
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            RunRecord next = with(r, now, RunStatus.CANCELLED, null, reason, null, null, 0, 0, r.nodes());
            EventDraft cancelled = new EventDraft(EventTypes.RUN_CANCELLED, null, map("reason", reason));
            if (deniedBy == null) {
                return Applied.of(next, cancelled);
            }
            return new Applied(next, List.of(new EventDraft(EventTypes.POLICY_DENIED, node,
                    map("policy", deniedBy, "reason", reason)), cancelled), null);
        }
    }

    /** Forgets the given node keys so the next replay runs them again (retry from a node). */
    record ClearNodes(String from, Collection<String> keys) implements Mutation {
        @Override
        public Ownership ownership() {
            return Ownership.CLAIMS;
        }

        public Applied apply(RunRecord r, long now) {
            if (r == null) {
                return Applied.rejected(null, "no such run");
            }
            if (r.status() == RunStatus.CANCELLED) {
                return Applied.rejected(r, "run is cancelled");
            }
            Map<String, NodeRecord> nodes = new LinkedHashMap<>(r.nodes());
            List<String> cleared = new ArrayList<>();
            for (String k : keys) {
                if (nodes.remove(k) != null) {
                    cleared.add(k);
                }
            }
            RunRecord next = with(r, now, RunStatus.RUNNING, null, null, null, null, 0, 0, nodes);
            return Applied.of(next, new EventDraft(EventTypes.RUN_RETRYING, from, map("from", from, "cleared", cleared)));
        }
    }

    /**
     * Events that change no state but must be numbered in the run's sequence: output deltas, tool calls, user
     * events.
     */
    record Emit(String type, String node, Object data) implements Mutation {
        public Emit {
            data = Frozen.copyOf(data);
        }

        public Applied apply(RunRecord r, long now) {
            if (r == null) {
                return Applied.rejected(null, "no such run");
            }
            return Applied.of(r, new EventDraft(type, node, data));
        }
    }

    /**
     * The run goes on under another definition of its workflow: someone accepted that replay on it may decide
     * differently from the definition the run started with.
     */
    record MigrateRun(String workflowHash) implements Mutation {
        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            if (workflowHash.equals(r.workflowHash())) {
                return new Applied(r, List.of(), null);
            }
            return Applied.of(r.withWorkflowHash(workflowHash, now), new EventDraft(EventTypes.RUN_DEFINITION_CHANGED, null,
                    map("startedWith", r.workflowHash(), "resumesWith", workflowHash, "migrated", true)));
        }
    }

    /** The run's lane has no free slot: the run waits in the lane's queue, holding nothing. */
    record QueueRun(String lane, int position) implements Mutation {
        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            return Applied.of(withStatus(r, now, RunStatus.QUEUED),
                    new EventDraft(EventTypes.RUN_QUEUED, null, map("lane", lane, "position", position)));
        }
    }

    /**
     * Takes over a running run whose owner is gone; the store refuses it while a live member owns the run. A run
     * that has lost its owner more than {@code maxTakeovers} times fails instead: it may be what kills its owners.
     */
    record ClaimRun(String reason, int maxTakeovers) implements Mutation {
        @Override
        public Ownership ownership() {
            return Ownership.CLAIMS;
        }

        public Applied apply(RunRecord r, long now) {
            String refused = refuseUnlessActive(r);
            if (refused != null) {
                return Applied.rejected(r, refused);
            }
            if (r.status() != RunStatus.RUNNING) {
                return Applied.rejected(r, "run is " + r.status().label());
            }
            int takeovers = r.takeovers() + 1;
            if (takeovers > maxTakeovers) {
                String message = "run lost its owner " + takeovers + " times; failed so it cannot take down another member";
                RunRecord failed = with(r, now, RunStatus.FAILED, null, message, null, RUN_LOST, 0, 0, r.nodes());
                return Applied.of(failed.withOwner(null, takeovers), new EventDraft(EventTypes.RUN_FAILED, null,
                        map("errorClass", "RunLost", "code", RUN_LOST, "message", message)));
            }
            return Applied.of(withStatus(r, now, RunStatus.RUNNING).withOwner(r.owner(), takeovers),
                    new EventDraft(EventTypes.RUN_RESUMED, null, map("reason", reason, "previousOwner", r.owner(),
                            "takeovers", takeovers)));
        }
    }
}
