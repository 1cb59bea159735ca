package dev.caravan.state;

import java.util.Locale;

/** State of one node key within a run. */
public enum NodeStatus {
    RUNNING,
    COMPLETED,
    /** Its {@code when} was false, or everything it needs was skipped or rejected. */
    SKIPPED,
    /** A gate that was rejected; nodes that need it are skipped. */
    REJECTED,
    FAILED,
    AWAITING_APPROVAL,
    WAITING;

    /** Finished for good: replay returns the recorded result. */
    public boolean isDone() {
        return this == COMPLETED || this == SKIPPED || this == REJECTED;
    }

    public boolean isPending() {
        return this == AWAITING_APPROVAL || this == WAITING;
    }

    /** Dependents of a node in this state are skipped rather than run. */
    public boolean skipsDependents() {
        return this == SKIPPED || this == REJECTED;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
