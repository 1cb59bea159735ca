package dev.caravan.support;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

import java.util.regex.Pattern;

/**
 * Jackson's parse errors as people read them. Jackson puts locations in its messages as {@code [Source: ...; line: 1,
 * column: 9]}: with {@code StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION} on, the source is the JSON text itself
 * (which may hold secrets), and off (the default since 2.16) it is {@code REDACTED (`StreamReadFeature...`
 * disabled)}. Neither belongs in a message: these helpers keep the line and column only.
 */
public final class JsonProblems {

    private static final Pattern LOCATION = Pattern.compile(
            "\\[Source: .*?; line: (-?\\d+), column: (-?\\d+)]", Pattern.DOTALL);

    private JsonProblems() {
    }

    /**
     * What went wrong, without where the whole error is (see {@link #where}); a location inside the message (such as
     * where an unclosed object started) reads {@code line 1, column 1}.
     */
    public static String message(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        return m == null ? e.getClass().getSimpleName() : LOCATION.matcher(m).replaceAll("line $1, column $2");
    }

    /** {@code line L, column C} of the error, or null when Jackson does not know it. */
    public static String where(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        if (at == null || at.getLineNr() < 1) {
            return null;
        }
        return "line " + at.getLineNr() + (at.getColumnNr() < 1 ? "" : ", column " + at.getColumnNr());
    }

    /** The message followed by where the error is: {@code Unexpected character ... (line 1, column 9)}. */
    public static String describe(JsonProcessingException e) {
        String where = where(e);
        return message(e) + (where == null ? "" : " (" + where + ")");
    }
}
