package dev.caravan.dsl;

import java.util.Optional;
import java.util.function.Function;

/**
 * What the loader accepts before it refuses a workflow file: hostile or broken input (an alias bomb, thousands of
 * nested brackets, a huge file) gets a one-line error in well under a second instead of exhausting memory or the
 * stack. Each limit is a Camel property ({@code caravan.limits.*}); {@code docs/dsl.md} lists them.
 *
 * @param fileBytes        the largest workflow file, in bytes of UTF-8
 * @param nodes            the most nodes in one file, those inside {@code map} and {@code loop} included
 * @param depth            the deepest nesting of YAML mappings and lists
 * @param expressionChars  the longest {@code ${{ }}} expression, in characters
 * @param aliases          the most YAML aliases ({@code *name}) of mappings and lists
 * @param values           the most YAML values (scalars, mappings and lists) once aliases are expanded
 */
public record LoadLimits(int fileBytes, int nodes, int depth, int expressionChars, int aliases, int values) {

    public static final String PREFIX = "caravan.limits.";

    /**
     * The composer descends one Java frame level per YAML level: past a few thousand levels it overflows the stack,
     * so the configurable depth stops well short of that.
     */
    public static final int MAX_DEPTH = 1000;

    public static final LoadLimits DEFAULTS = new LoadLimits(4 * 1024 * 1024, 10_000, 64, 10_000, 100, 1_000_000);

    public LoadLimits {
        positive("file-bytes", fileBytes);
        positive("nodes", nodes);
        positive("depth", depth);
        positive("expression-chars", expressionChars);
        if (aliases < 0) {
            throw new IllegalArgumentException(PREFIX + "aliases must be zero or more, found " + aliases);
        }
        positive("values", values);
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(PREFIX + "depth must be at most " + MAX_DEPTH + ", found " + depth);
        }
    }

    /**
     * The limits set by properties ({@code caravan.limits.file-bytes} and so on, looked up by their full name), the
     * defaults for those not set.
     *
     * @throws IllegalArgumentException naming the property whose value is not a positive whole number
     */
    public static LoadLimits from(Function<String, Optional<String>> properties) {
        return new LoadLimits(
                read(properties, "file-bytes", DEFAULTS.fileBytes),
                read(properties, "nodes", DEFAULTS.nodes),
                read(properties, "depth", DEFAULTS.depth),
                read(properties, "expression-chars", DEFAULTS.expressionChars),
                read(properties, "aliases", DEFAULTS.aliases),
                read(properties, "values", DEFAULTS.values));
    }

    /** How every refusal ends: which limit it was and how to raise it. */
    static String refusal(String name) {
        return "the limit for a workflow file; raise it with the property " + PREFIX + name;
    }

    private static int read(Function<String, Optional<String>> properties, String name, int fallback) {
        Optional<String> value = properties.apply(PREFIX + name);
        if (value.isEmpty() || value.get().isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.get().strip().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    PREFIX + name + " must be a whole number, found '" + value.get() + "'", e);
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(PREFIX + name + " must be at least 1, found " + value);
        }
    }
}
