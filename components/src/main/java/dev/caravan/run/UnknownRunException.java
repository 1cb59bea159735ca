package dev.caravan.run;

import dev.caravan.CaravanException;

/** No run has that id. */
public class UnknownRunException extends CaravanException {
    public UnknownRunException(String runId) {
        super("No run " + runId);
    }

    @Override
    public String code() {
        return "RUN_NOT_FOUND";
    }
}
