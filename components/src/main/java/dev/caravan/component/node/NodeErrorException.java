package dev.caravan.component.node;

import dev.caravan.CaravanException;

/**
 * A node failure with a stable error code, which another attempt cannot mend: a {@code fail} node, a failed child
 * run, a gate that timed out. The message is what the run records.
 */
public class NodeErrorException extends CaravanException {

    private final String code;

    public NodeErrorException(String code, String message) {
        super(message, null, false);
        this.code = code;
    }

    /** The stable error code ({@link ErrorCodes}, or a {@code fail} node's own). */
    @Override
    public String code() {
        return code;
    }
}
