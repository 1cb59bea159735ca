package dev.caravan.json;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

/** Bounds on the size of a value's JSON without serializing it: per-node checks must stay cheap for small values. */
public final class JsonSize {

    /** No character takes more in JSON than a control character, escaped as backslash, u and four hex digits. */
    public static final int MAX_BYTES_PER_CHAR = 6;

    private JsonSize() {
    }

    /**
     * The characters of text a value holds (strings, keys, numbers, brackets), counted up to {@code limit}: about a
     * lower bound of its JSON bytes, and {@link #MAX_BYTES_PER_CHAR} times it an upper one.
     */
    public static long chars(Object value, long limit) {
        if (value instanceof String s) {
            return s.length() + 2L;
        }
        long n = 2;
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                n += String.valueOf(e.getKey()).length() + 4 + chars(e.getValue(), limit - n);
                if (n > limit) {
                    return n;
                }
            }
            return n;
        }
        if (value instanceof Collection<?> c) {
            for (Object o : c) {
                n += 1 + chars(o, limit - n);
                if (n > limit) {
                    return n;
                }
            }
            return n;
        }
        return value == null ? 4 : String.valueOf(value).length();
    }

    /**
     * The UTF-8 bytes of a value's JSON, exact up to {@code limit} and more than {@code limit} beyond it: counted
     * from its characters where they decide, serialized only in between.
     */
    public static long bytes(Object value, long limit) {
        long chars = chars(value, limit + 1);
        if (chars > limit || chars <= limit / MAX_BYTES_PER_CHAR) {
            return chars;
        }
        return Json.write(value).getBytes(StandardCharsets.UTF_8).length;
    }
}
