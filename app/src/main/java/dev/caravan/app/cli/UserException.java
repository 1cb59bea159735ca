package dev.caravan.app.cli;

/** A problem of the user's making: printed as one message, without a stack trace, and exiting with a code. */
public final class UserException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public UserException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    public UserException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
