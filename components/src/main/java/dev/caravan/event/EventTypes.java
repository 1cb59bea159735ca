package dev.caravan.event;

/** The run event catalogue: CloudEvents {@code type} values. */
public final class EventTypes {

    public static final String RUN_STARTED = "caravan.run.started";
    public static final String RUN_RESUMED = "caravan.run.resumed";
    public static final String RUN_QUEUED = "caravan.run.queued";
    public static final String LANE_CREATED = "caravan.lane.created";
    public static final String LANE_CLEANED = "caravan.lane.cleaned";
    public static final String LANE_QUARANTINED = "caravan.lane.quarantined";
    public static final String RUN_PAUSED = "caravan.run.paused";
    public static final String RUN_COMPLETED = "caravan.run.completed";
    public static final String RUN_FAILED = "caravan.run.failed";
    public static final String RUN_CANCELLED = "caravan.run.cancelled";
    public static final String RUN_RETRYING = "caravan.run.retrying";
    /** A run resumed on a workflow definition other than the one it started with. */
    public static final String RUN_DEFINITION_CHANGED = "caravan.run.definition.changed";
    public static final String NODE_STARTED = "caravan.node.started";
    public static final String NODE_COMPLETED = "caravan.node.completed";
    public static final String NODE_SKIPPED = "caravan.node.skipped";
    public static final String NODE_FAILED = "caravan.node.failed";
    public static final String NODE_WAITING = "caravan.node.waiting";
    public static final String NODE_OUTPUT_DELTA = "caravan.node.output.delta";
    /**
     * The last {@code chars} characters of text streamed by the node are part of no reply: a model call failed
     * mid-stream, and the retry or the next model of the fallback chain streams its reply from the start.
     */
    public static final String NODE_OUTPUT_DISCARDED = "caravan.node.output.discarded";
    public static final String APPROVAL_REQUESTED = "caravan.approval.requested";
    public static final String APPROVAL_RESOLVED = "caravan.approval.resolved";
    public static final String TOOL_CALL_REQUESTED = "caravan.tool.call.requested";
    public static final String TOOL_CALL_COMPLETED = "caravan.tool.call.completed";
    public static final String TOOL_CALL_FAILED = "caravan.tool.call.failed";
    public static final String COST_UPDATED = "caravan.cost.updated";
    /** A policy (a budget, a kill switch, a lane) stopped a node or a run. */
    public static final String POLICY_DENIED = "caravan.policy.denied";
    /** A kill switch was set (or its reason changed). */
    public static final String KILL_SWITCH_SET = "caravan.killswitch.set";
    public static final String KILL_SWITCH_CLEARED = "caravan.killswitch.cleared";

    // Trigger liveness: pseudo run id trigger:<workflow>/<id>@<member>, numbered per trigger and member from 1
    /** A trigger's route failed (to start, or while it ran); data {attempt, reason, nextAttemptInMillis}. */
    public static final String TRIGGER_FAILED = "caravan.trigger.failed";
    /** A failed trigger's route was started again; data {attempt, reason, nextAttemptInMillis: null}. */
    public static final String TRIGGER_RESTARTED = "caravan.trigger.restarted";

    private EventTypes() {
    }
}
