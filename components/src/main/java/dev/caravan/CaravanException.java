package dev.caravan;

/**
 * The root of the engine's exceptions. Each carries a stable code, upper-case words joined by {@code _}
 * ({@code WORKFLOW_INVALID}, {@code RUN_NOT_FOUND}, {@code INPUT_INVALID}, ...), that a caller can act on without
 * parsing the message: the CLI's exit codes, an API's problem type, a run's recorded error. A code, once released,
 * keeps its meaning.
 */
public abstract class CaravanException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    protected CaravanException(String message) {
        super(message);
    }

    protected CaravanException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For failures that are expected outcomes of a run, whose stack trace would say nothing. */
    protected CaravanException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, false, writableStackTrace);
    }

    /** The stable code of this failure. */
    public abstract String code();
}
