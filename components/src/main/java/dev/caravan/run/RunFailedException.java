package dev.caravan.run;

import dev.caravan.CaravanException;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;

/**
 * A run a caller waited for ended failed or cancelled ({@code caravan-run:start?waitForCompletion=true}); routes can
 * {@code onException} on it and read which run it was and why it ended.
 */
public class RunFailedException extends CaravanException {

    private static final long serialVersionUID = 1L;

    private final String runId;
    private final RunStatus status;
    private final String errorCode;
    private final String reason;

    public RunFailedException(RunRecord run) {
        super("Run " + run.runId() + " of workflow " + run.workflow() + " " + run.status().label()
              + (run.error() == null ? "" : ": " + run.error()), null, false);
        this.runId = run.runId();
        this.status = run.status();
        this.errorCode = run.errorCode();
        this.reason = run.error();
    }

    /** The run's id. */
    public String getRunId() {
        return runId;
    }

    /** How it ended: failed or cancelled. */
    public RunStatus getStatus() {
        return status;
    }

    /** The stable code of the failure that failed the run ({@code TIMEOUT}, a {@code fail} node's code, ...), or null. */
    public String getErrorCode() {
        return errorCode;
    }

    /** Why the run failed or was cancelled, as recorded in the run, or null. */
    public String getReason() {
        return reason;
    }

    @Override
    public String code() {
        return status == RunStatus.CANCELLED ? "RUN_CANCELLED" : "RUN_FAILED";
    }
}
