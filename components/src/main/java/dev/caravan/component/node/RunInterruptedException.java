package dev.caravan.component.node;

import dev.caravan.CaravanException;

/** An execution stopped because its instance is shutting down; the run stays as it was and can be resumed. */
public class RunInterruptedException extends CaravanException {

    public RunInterruptedException(String runId, Throwable cause) {
        super("Execution of run " + runId + " interrupted by shutdown", cause);
    }

    @Override
    public String code() {
        return "RUN_INTERRUPTED";
    }
}
