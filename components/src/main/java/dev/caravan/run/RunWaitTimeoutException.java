package dev.caravan.run;

import dev.caravan.CaravanException;

import java.time.Duration;

/**
 * A caller stopped waiting for a run that had not finished in the time it allowed
 * ({@code caravan-run:start?waitForCompletion=true&timeout=...}). The run goes on; its id says where to follow it.
 */
public class RunWaitTimeoutException extends CaravanException {

    private static final long serialVersionUID = 1L;

    private final String runId;

    public RunWaitTimeoutException(String runId, Duration waited) {
        super("Run " + runId + " did not finish within " + waited.toMillis() + " ms; it goes on", null, false);
        this.runId = runId;
    }

    /** The run's id. */
    public String getRunId() {
        return runId;
    }

    @Override
    public String code() {
        return "RUN_WAIT_TIMEOUT";
    }
}
