package dev.caravan.run;

import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A run {@link RunService#start} created: its id and status, known when {@code start} returns, and, as this future,
 * its outcome (the run when it finished or paused; at once for a run queued in its lane).
 */
public final class StartedRun extends CompletableFuture<RunRecord> {

    private final String runId;
    private final RunStatus status;

    private StartedRun(String runId, RunStatus status) {
        this.runId = runId;
        this.status = status;
    }

    static StartedRun of(RunRecord created, CompletionStage<RunRecord> outcome) {
        StartedRun started = new StartedRun(created.runId(), created.status());
        outcome.whenComplete((r, e) -> {
            if (e != null) {
                started.completeExceptionally(e);
            } else {
                started.complete(r);
            }
        });
        return started;
    }

    /** The run's id. */
    public String runId() {
        return runId;
    }

    /** The run's status when it was created: running, queued in its lane, or whatever an earlier start with its id left. */
    public RunStatus status() {
        return status;
    }

    @Override
    public String toString() {
        return "StartedRun[" + runId + ", " + status.label() + ", " + super.toString() + "]";
    }
}
