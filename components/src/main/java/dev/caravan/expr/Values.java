package dev.caravan.expr;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.primitives.UnsignedLong;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.cel.common.values.CelByteString;
import dev.cel.common.values.NullValue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Conversions between plain Java values (as Jackson produces them) and the values the CEL runtime works on. */
final class Values {

    static final ObjectMapper JSON = new ObjectMapper();

    private Values() {
    }

    /** Plain Java in, CEL values out: ints become Long, floats Double, null the CEL null. */
    static Object toCel(Object value) {
        if (value == null) {
            return NullValue.NULL_VALUE;
        }
        if (value instanceof String || value instanceof Boolean || value instanceof Long || value instanceof Double) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof BigInteger bi) {
            return bi.bitLength() < 64 ? (Object) bi.longValue() : (Object) bi.doubleValue();
        }
        if (value instanceof BigDecimal bd) {
            return bd.doubleValue();
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>(Math.max(4, map.size() * 2));
            map.forEach((k, v) -> out.put(String.valueOf(k), toCel(v)));
            return out;
        }
        if (value instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            c.forEach(v -> out.add(toCel(v)));
            return out;
        }
        if (value instanceof Object[] array) {
            List<Object> out = new ArrayList<>(array.length);
            for (Object v : array) {
                out.add(toCel(v));
            }
            return out;
        }
        if (value instanceof Optional<?> o) {
            return toCel(o.orElse(null));
        }
        if (value instanceof CharSequence || value instanceof Enum<?> || value instanceof TemporalAccessor
                || value instanceof Character) {
            return value.toString();
        }
        // JsonNode, records and beans the engine hands in: through Jackson, never as Java objects CEL could reach
        return toCel(JSON.convertValue(value, Object.class));
    }

    /** CEL values in, plain Java out: LinkedHashMap, ArrayList, String, Long, Double, Boolean or null. */
    static Object fromCel(Object value) {
        if (value == null || value instanceof NullValue || value instanceof com.google.protobuf.NullValue) {
            return null;
        }
        if (value instanceof String || value instanceof Boolean || value instanceof Long || value instanceof Double) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof UnsignedLong u) {
            return u.compareTo(UnsignedLong.valueOf(Long.MAX_VALUE)) <= 0 ? (Object) u.longValue()
                    : (Object) u.doubleValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>(Math.max(4, map.size() * 2));
            map.forEach((k, v) -> out.put(String.valueOf(fromCel(k)), fromCel(v)));
            return out;
        }
        if (value instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            c.forEach(v -> out.add(fromCel(v)));
            return out;
        }
        if (value instanceof CelByteString b) {
            return Base64.getEncoder().encodeToString(b.toByteArray());
        }
        if (value instanceof ByteString b) {
            return Base64.getEncoder().encodeToString(b.toByteArray());
        }
        if (value instanceof Instant i) {
            return i.toString();
        }
        if (value instanceof Duration d) {
            return formatDuration(d);
        }
        if (value instanceof Timestamp t) {
            return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
        }
        if (value instanceof com.google.protobuf.Duration d) {
            return formatDuration(Duration.ofSeconds(d.getSeconds(), d.getNanos()));
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        return value.toString();
    }

    /** Normalises a constant (plain YAML/Jackson value) the same way evaluated values are, as a fresh copy. */
    static Object plain(Object value) {
        return fromCel(toCel(value));
    }

    private static String formatDuration(Duration d) {
        if (d.getNano() == 0) {
            return d.getSeconds() + "s";
        }
        return new BigDecimal(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9)).stripTrailingZeros()
                .toPlainString() + "s";
    }

    /** Text for interpolation: null is empty, maps and lists are JSON. */
    static String render(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Map || value instanceof List) {
            try {
                return JSON.writeValueAsString(value);
            } catch (JsonProcessingException e) {
                return String.valueOf(value);
            }
        }
        return value.toString();
    }

    /** How a value reads in an error message: what was found. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "the string '" + (s.length() > 60 ? s.substring(0, 57) + "..." : s) + "'";
        }
        if (value instanceof Boolean b) {
            return "the boolean " + b;
        }
        if (value instanceof Number n) {
            return "the number " + n;
        }
        if (value instanceof Map) {
            return "a map";
        }
        if (value instanceof List) {
            return "a list";
        }
        return "a value of type " + value.getClass().getSimpleName();
    }
}
