package dev.caravan.dsl;

/**
 * A place in a workflow file, 1-based, as editors show it.
 */
public record Position(String file, int line, int column) {

    public static final Position UNKNOWN = new Position("<unknown>", 0, 0);

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
