package dev.caravan.dsl;

/**
 * One problem found while loading a workflow file.
 *
 * @param position where it is (1-based line and column)
 * @param message  what was expected and what was found
 */
public record Problem(Position position, String message) {

    /** {@code file:line:column: message}, as compilers print it. */
    @Override
    public String toString() {
        return position + ": " + message;
    }
}
