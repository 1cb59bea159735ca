package dev.caravan.run;

import dev.caravan.CaravanException;

/** The run is not in a state that allows the request (cancelling a finished run, approving no gate, ...). */
public class RunConflictException extends CaravanException {
    public RunConflictException(String message) {
        super(message);
    }

    @Override
    public String code() {
        return "RUN_CONFLICT";
    }
}
