package dev.caravan.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.caravan.event.RunEvent;

import java.util.List;
import java.util.Map;

/**
 * The durable state of one run: everything needed to resume it on any instance. Stored as JSON in Hazelcast and
 * updated only through {@link Mutation}s applied atomically per run.
 *
 * @param runId         unique run id
 * @param workflow      workflow name
 * @param workflowHash  SHA-256 of the workflow definition the run started with
 * @param tenant        tenant id
 * @param lane          lane id, or null
 * @param status        run status
 * @param input         the validated run input
 * @param output        the run output once completed
 * @param error         why the run failed or was cancelled, or null
 * @param errorNode     the node key that failed the run, or null
 * @param createdAt     epoch millis
 * @param updatedAt     epoch millis of the last mutation
 * @param sequence      sequence number of the last event of this run (events are numbered 1, 2, 3, ...)
 * @param parentRunId   the parent run when this is a sub-workflow run, or null
 * @param parentNodeKey the parent's node key that started this run, or null
 * @param costMicros    total LLM cost so far, micro-dollars
 * @param tokens        total LLM tokens so far
 * @param nodes         node records by node key, in the order they were first recorded
 * @param owner         the cluster member executing the run while it is {@code running} (its lease: the member's
 *                      cluster membership), else null
 * @param takeovers     how many times another member took the run over from an owner that died
 * @param errorCode     the stable code of the failure that failed the run ({@code TIMEOUT}, a {@code fail} node's
 *                      code, ...), or null
 * @param correlationId the caller's correlation id, given when the run was started (a sub-workflow run inherits its
 *                      parent's), or null; every event of the run carries it
 * @param traceId       the W3C trace id the run was started in (32 lowercase hex digits: the caller's
 *                      {@code traceparent}; a sub-workflow run inherits its parent's), or null for the trace of the
 *                      run's id; every event of the run carries it
 * @param outbox        the run's events not yet confirmed on the event topic, oldest first, when the member relays
 *                      events (else empty): written in the same update, and so the same database commit, as the
 *                      state change that made them, and trimmed once the relay confirms them
 */
public record RunRecord(
        String runId,
        String workflow,
        String workflowHash,
        String tenant,
        String lane,
        RunStatus status,
        Object input,
        Object output,
        String error,
        String errorNode,
        long createdAt,
        long updatedAt,
        long sequence,
        String parentRunId,
        String parentNodeKey,
        long costMicros,
        long tokens,
        Map<String, NodeRecord> nodes,
        String owner,
        int takeovers,
        String errorCode,
        @JsonInclude(JsonInclude.Include.NON_NULL) String correlationId,
        @JsonInclude(JsonInclude.Include.NON_NULL) String traceId,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<RunEvent> outbox) {

    public RunRecord {
        outbox = outbox == null ? List.of() : outbox;
    }

    /** A run record with no events waiting for the relay. */
    public RunRecord(String runId, String workflow, String workflowHash, String tenant, String lane, RunStatus status,
            Object input, Object output, String error, String errorNode, long createdAt, long updatedAt, long sequence,
            String parentRunId, String parentNodeKey, long costMicros, long tokens, Map<String, NodeRecord> nodes,
            String owner, int takeovers, String errorCode) {
        this(runId, workflow, workflowHash, tenant, lane, status, input, output, error, errorNode, createdAt, updatedAt,
                sequence, parentRunId, parentNodeKey, costMicros, tokens, nodes, owner, takeovers, errorCode, null,
                null, List.of());
    }

    /** A run record without a failure code. */
    public RunRecord(String runId, String workflow, String workflowHash, String tenant, String lane, RunStatus status,
            Object input, Object output, String error, String errorNode, long createdAt, long updatedAt, long sequence,
            String parentRunId, String parentNodeKey, long costMicros, long tokens, Map<String, NodeRecord> nodes,
            String owner, int takeovers) {
        this(runId, workflow, workflowHash, tenant, lane, status, input, output, error, errorNode, createdAt, updatedAt,
                sequence, parentRunId, parentNodeKey, costMicros, tokens, nodes, owner, takeovers, null);
    }

    public NodeRecord node(String key) {
        return nodes.get(key);
    }

    /** This record with another owner and takeover count. */
    public RunRecord withOwner(String newOwner, int newTakeovers) {
        return new RunRecord(runId, workflow, workflowHash, tenant, lane, status, input, output, error, errorNode,
                createdAt, updatedAt, sequence, parentRunId, parentNodeKey, costMicros, tokens, nodes, newOwner,
                newTakeovers, errorCode, correlationId, traceId, outbox);
    }

    /** This record with the sequence number of its last event. */
    public RunRecord withSequence(long newSequence) {
        return new RunRecord(runId, workflow, workflowHash, tenant, lane, status, input, output, error, errorNode,
                createdAt, updatedAt, newSequence, parentRunId, parentNodeKey, costMicros, tokens, nodes, owner,
                takeovers, errorCode, correlationId, traceId, outbox);
    }

    /** This record moved onto another definition of its workflow, at {@code now}. */
    public RunRecord withWorkflowHash(String newWorkflowHash, long now) {
        return new RunRecord(runId, workflow, newWorkflowHash, tenant, lane, status, input, output, error, errorNode,
                createdAt, now, sequence, parentRunId, parentNodeKey, costMicros, tokens, nodes, owner, takeovers,
                errorCode, correlationId, traceId, outbox);
    }

    /** This record with other events waiting for the relay. */
    public RunRecord withOutbox(List<RunEvent> newOutbox) {
        return new RunRecord(runId, workflow, workflowHash, tenant, lane, status, input, output, error, errorNode,
                createdAt, updatedAt, sequence, parentRunId, parentNodeKey, costMicros, tokens, nodes, owner,
                takeovers, errorCode, correlationId, traceId, newOutbox);
    }
}
