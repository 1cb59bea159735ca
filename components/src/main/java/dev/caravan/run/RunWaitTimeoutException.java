package dev.caravan.run;

import dev.caravan.CaravanException;

import java.time.Duration;

/**
 * A caller stopped waiting for a run that had not finished in the time it allowed
 * ({@code caravan-run:start?waitForCompletion=true&timeout=...}), or when the instance it waited on stopped. The run goes
 * on; its id says where to follow it.
 */
public class RunWaitTimeoutException extends CaravanException {

    private static final long serialVersionUID = 1L;

    private final String runId;

    public RunWaitTimeoutException(String runId, Duration waited) {
        this(runId, "Run " + runId + " did not finish within " + waited.toMillis() + " ms; it goes on");
    }

    private RunWaitTimeoutException(String runId, String message) {
        super(message, null, false);
        this.runId = runId;
    }

    /** The wait ends early: this instance stops. */
    public static RunWaitTimeoutException stopping(String runId) {
        return new RunWaitTimeoutException(runId, "Run " + runId + " had not finished when this instance stopped; it goes"
                + " on");
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
