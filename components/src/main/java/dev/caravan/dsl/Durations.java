package dev.caravan.dsl;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as workflow files write them: a number and a unit ({@code ms}, {@code s}, {@code m}, {@code h},
 * {@code d}), optionally chained ({@code 1h30m}).
 */
public final class Durations {

    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** What the format looks like, for error messages. */
    public static final String EXPECTED = "a duration such as 500ms, 10s, 1m, 24h or 1h30m";

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException when the text is not a duration; the message says what was expected and found
     */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.strip();
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException("expected " + EXPECTED + ", found '" + text + "'");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(t);
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("expected " + EXPECTED + ", found '" + text + "' (too large)");
        }
        return total;
    }

    /** Formats a duration the way {@link #parse} reads it ({@code 90s} → {@code 1m30s}). */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long days = d.toDays();
        if (days > 0) {
            sb.append(days).append('d');
        }
        if (d.toHoursPart() > 0) {
            sb.append(d.toHoursPart()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            sb.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            sb.append(d.toSecondsPart()).append('s');
        }
        if (d.toMillisPart() > 0) {
            sb.append(d.toMillisPart()).append("ms");
        }
        return sb.toString();
    }
}
