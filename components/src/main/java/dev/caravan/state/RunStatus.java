package dev.caravan.state;

import java.util.Locale;
import java.util.Optional;

/** Lifecycle of a run. */
public enum RunStatus {
    QUEUED,
    RUNNING,
    /** A gate waits for a human; the run holds no thread. */
    AWAITING_APPROVAL,
    /** A {@code wait} node sleeps until a time; the run holds no thread. */
    WAITING,
    /**
     * The workflow's definition changed under the run (its content hash is not the one the run started with): replay
     * on another definition may decide differently, so the run waits, holding no thread, until it is migrated to the
     * deployed definition or the one it started with is deployed again and it is resumed.
     */
    AWAITING_MIGRATION,
    COMPLETED,
    FAILED,
    CANCELLED;

    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    public boolean isPaused() {
        return this == AWAITING_APPROVAL || this == WAITING || this == AWAITING_MIGRATION;
    }

    /** The lower-case name used in events, the API and the CLI. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status a {@link #label()} names, if any. */
    public static Optional<RunStatus> ofLabel(String label) {
        for (RunStatus s : values()) {
            if (s.label().equals(label)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
