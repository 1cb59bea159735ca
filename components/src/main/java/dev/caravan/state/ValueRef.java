package dev.caravan.state;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * What a run record (and its events) holds in place of a value too large to copy into every version of it: the
 * value's content hash and size. The value itself is stored once in the {@link ValueStore}. In JSON a reference is
 * {@code {"$ref": "sha256:<hex>", "bytes": <size of the value's JSON>}}.
 *
 * @param hash  {@code sha256:} and the lower-case hex SHA-256 of the value's JSON (UTF-8), its key in the store
 * @param bytes the size of the value's JSON in bytes
 */
public record ValueRef(@JsonProperty("$ref") String hash, @JsonProperty("bytes") long bytes) {

    static final String PREFIX = "sha256:";

    /**
     * The reference a record's value is, or null for any other value. After a JSON round trip (backups, JDBC, a
     * mutation sent to another member) a reference is a map of its JSON shape; the store keeps every inline value
     * from having that shape, so a map of it is always a reference.
     */
    public static ValueRef from(Object value) {
        if (value instanceof ValueRef ref) {
            return ref;
        }
        if (value instanceof Map<?, ?> m && m.size() == 2 && m.get("$ref") instanceof String hash
            && hash.startsWith(PREFIX) && m.get("bytes") instanceof Number bytes) {
            return new ValueRef(hash, bytes.longValue());
        }
        return null;
    }
}
