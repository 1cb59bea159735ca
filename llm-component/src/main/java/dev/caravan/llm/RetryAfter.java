package dev.caravan.llm;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Reads an HTTP {@code Retry-After} header (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date; and OpenAI's
 * {@code retry-after-ms} (milliseconds, possibly with a fraction).
 */
final class RetryAfter {

    /** Longer delays are read as this: nobody waits a day for a model, and it keeps arithmetic far from overflow. */
    static final Duration LONGEST = Duration.ofDays(1);

    private RetryAfter() {
    }

    /**
     * The delay the header asks for, counted from {@code now} for an HTTP-date (a date in the past is no delay); null
     * when there is no header or it is neither form.
     */
    static Duration parse(String header, Instant now) {
        if (header == null) {
            return null;
        }
        String value = header.trim();
        if (value.isEmpty()) {
            return null;
        }
        if (value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            // delay-seconds; past 10 digits it is longer than LONGEST anyway
            return value.length() > 10 ? LONGEST : min(Duration.ofSeconds(Long.parseLong(value)));
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return at.isAfter(now) ? min(Duration.between(now, at)) : Duration.ZERO;
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** The delay a {@code retry-after-ms} header asks for; null when there is none or it is not a number of ms. */
    static Duration parseMillis(String header) {
        if (header == null) {
            return null;
        }
        String value = header.trim();
        if (!value.matches("[0-9]{1,15}(\\.[0-9]+)?")) {
            return null;
        }
        return min(Duration.ofNanos(Math.round(Double.parseDouble(value) * 1_000_000)));
    }

    private static Duration min(Duration delay) {
        return delay.compareTo(LONGEST) > 0 ? LONGEST : delay;
    }
}
