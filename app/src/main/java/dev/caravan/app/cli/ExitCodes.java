package dev.caravan.app.cli;

/** Exit codes of the caravan CLI. */
public final class ExitCodes {

    /** The command succeeded (the run completed, every file is valid). */
    public static final int OK = 0;
    /** The run failed or was cancelled, or an unexpected error happened. */
    public static final int FAILED = 1;
    /** Invalid usage, unreadable or invalid workflow file, invalid input. */
    public static final int USAGE = 2;
    /** The run awaits approval and no decision could be made. */
    public static final int AWAITING_APPROVAL = 3;
    /** The server could not be reached (nothing listens at {@code --server}, or the connection broke). */
    public static final int UNREACHABLE = 69;
    /** The run did not finish within {@code --timeout} (it was cancelled). */
    public static final int TIMEOUT = 124;

    /** Interrupted (Ctrl-C). */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
