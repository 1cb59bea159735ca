package dev.caravan.expr;

import java.util.List;
import java.util.Map;

/**
 * A compiled template value: a string that may contain {@code ${{ }}} CEL expressions, or a list/map tree of such
 * values. Immutable and thread-safe.
 */
public interface Template {

    /**
     * Evaluates the template. A string that is exactly one {@code ${{ }}} yields the expression's typed value; other
     * strings interpolate. Results are plain Java: LinkedHashMap, ArrayList, String, Long, Double, Boolean or null.
     *
     * @throws ExpressionException when an expression fails (its text is in the message)
     */
    Object evaluate(Map<String, Object> vars);

    /** Evaluates a condition; fails with a clear message when the result is not a boolean. */
    default boolean evaluateBoolean(Map<String, Object> vars) {
        Object value = evaluate(vars);
        if (value instanceof Boolean b) {
            return b;
        }
        throw new ExpressionException("expected a boolean from " + this + ", found " + Values.describe(value), 0);
    }

    /** True when the template holds no expression (it evaluates to itself). */
    boolean isConstant();

    /** Ids referenced as {@code nodes.<id>} or {@code nodes['<id>']}, in order of appearance, without duplicates. */
    List<String> references();

    /**
     * Every {@code nodes.<id>} reference with the 0-based offset of {@code nodes} in its template string (for trees,
     * in the string that holds it).
     */
    default List<Reference> referenceSites() {
        return references().stream().map(id -> new Reference(id, 0)).toList();
    }

    /** One {@code nodes.<id>} reference and where it starts in its template string. */
    record Reference(String nodeId, int offset) {
    }
}
