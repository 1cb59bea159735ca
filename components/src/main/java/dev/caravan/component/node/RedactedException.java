package dev.caravan.component.node;

/** Stands in for a failure whose message or cause could carry a secret: only the redacted account travels on. */
public class RedactedException extends RuntimeException {

    public RedactedException(String errorClass, String redactedMessage) {
        super(errorClass + ": " + redactedMessage, null, false, false);
    }
}
