package dev.caravan.state;

/** Lifecycle of a run. */
public enum RunStatus {
    QUEUED,
    RUNNING,
    /** A gate waits for a human; the run holds no thread. */
    AWAITING_APPROVAL,
    /** A {@code wait} node sleeps until a time; the run holds no thread. */
    WAITING,
    COMPLETED,
    FAILED,
    CANCELLED;

    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    public boolean isPaused() {
        return this == AWAITING_APPROVAL || this == WAITING;
    }

    /** The lower-case name used in events, the API and the CLI. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
