package dev.caravan.component.node;

import dev.caravan.CaravanException;

/** Stands in for a failure whose message or cause could carry a secret: only the redacted account travels on. */
public class RedactedException extends CaravanException {

    private final String code;

    public RedactedException(String code, String errorClass, String redactedMessage) {
        super(errorClass + ": " + redactedMessage, null, false);
        this.code = code;
    }

    /** The code of the failure this stands in for. */
    @Override
    public String code() {
        return code;
    }
}
