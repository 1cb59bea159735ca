package dev.caravan.component.node;

import dev.caravan.CaravanException;

/** A node produced a value larger than the engine records (Camel property {@code caravan.runs.max-value-bytes}). */
public class ValueTooLargeException extends CaravanException {

    public ValueTooLargeException(String nodeKey, long size, long cap) {
        super("Output of node " + nodeKey + " is " + size + " bytes, over the limit of " + cap
              + " bytes a run records (caravan.runs.max-value-bytes): store large data elsewhere and pass a reference");
    }

    @Override
    public String code() {
        return ErrorCodes.OUTPUT_TOO_LARGE;
    }
}
