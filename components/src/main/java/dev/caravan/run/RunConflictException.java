package dev.caravan.run;

/** The run is not in a state that allows the request (cancelling a finished run, approving no gate, ...). */
public class RunConflictException extends RuntimeException {
    public RunConflictException(String message) {
        super(message);
    }
}
