package dev.caravan.expr;

import dev.caravan.CaravanException;

/**
 * A template or expression that cannot be compiled or evaluated. {@link #offset()} is the 0-based character offset in
 * the template string where the problem is, so a loader can turn it into {@code line:column}.
 */
public class ExpressionException extends CaravanException {

    private static final long serialVersionUID = 1L;

    private final int offset;

    public ExpressionException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    public ExpressionException(String message, int offset, Throwable cause) {
        super(message, cause);
        this.offset = offset;
    }

    /** 0-based character offset in the template string where the problem is. */
    public int offset() {
        return offset;
    }

    @Override
    public String code() {
        return "EXPRESSION";
    }
}
