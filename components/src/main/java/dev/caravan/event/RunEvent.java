package dev.caravan.event;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One entry of the run event catalogue, before it is rendered as a CloudEvent.
 *
 * @param type        CloudEvents {@code type}, e.g. {@code caravan.node.completed}
 * @param runId       the run
 * @param sequence    per-run contiguous sequence number, starting at 1
 * @param time        epoch millis
 * @param workflow    workflow name
 * @param tenant      tenant id
 * @param lane        lane id, or null
 * @param node        node key, or null for run-level events
 * @param parentRunId the parent run of a sub-workflow run, or null
 * @param data          event payload (plain JSON value)
 * @param correlationId the run's correlation id, or null
 * @param traceId       the trace the run was started in (32 lowercase hex digits), or null for the run id's: see
 *                      {@link TraceParent}
 */
public record RunEvent(String type, String runId, long sequence, long time, String workflow, String tenant,
        String lane, String node, String parentRunId, Object data,
        @JsonInclude(JsonInclude.Include.NON_NULL) String correlationId,
        @JsonInclude(JsonInclude.Include.NON_NULL) String traceId) {

    /** An event of a run in the trace of its own id. */
    public RunEvent(String type, String runId, long sequence, long time, String workflow, String tenant, String lane,
            String node, String parentRunId, Object data, String correlationId) {
        this(type, runId, sequence, time, workflow, tenant, lane, node, parentRunId, data, correlationId, null);
    }

    /** An event of a run without a correlation id (or of a lane). */
    public RunEvent(String type, String runId, long sequence, long time, String workflow, String tenant, String lane,
            String node, String parentRunId, Object data) {
        this(type, runId, sequence, time, workflow, tenant, lane, node, parentRunId, data, null);
    }

    /** The W3C trace context of the event: from the run's trace id (or id) and node, see {@link TraceParent}. */
    public String traceparent() {
        return TraceParent.of(runId, node, traceId);
    }

    /** Deterministic, so a relayed duplicate can be recognised downstream. */
    public String id() {
        return runId + "-" + sequence;
    }
}
