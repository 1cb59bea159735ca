package dev.caravan.event;

import java.util.UUID;

/**
 * The W3C trace context ({@code traceparent}, version {@code 00}) of a run event, derived from the event alone so that
 * it needs no lookup and is the same on every member and after a restart:
 * <ul>
 *   <li>the trace id is the one the run was started in, when its caller sent a {@code traceparent} ({@link #traceId}),
 *   kept with the run and inherited by its sub-workflow runs; otherwise the root run's id: its UUID's 32 hex digits,
 *   so a sub-workflow run ({@code <parent>:<node>}) shares its parent's trace; an id that does not start with a UUID
 *   (a lane's {@code lane:<id>@<created>}) gives 128 bits of its hash;</li>
 *   <li>the span id is 64 bits of the hash of the run id (run events) or of the run id and node key (node
 *   events), so a node's events share a span and each run of a tree has its own;</li>
 *   <li>the flags say sampled ({@code 01}).</li>
 * </ul>
 */
public final class TraceParent {

    private TraceParent() {
    }

    /** The {@code traceparent} of an event of {@code runId}, about {@code node} or the run itself (null). */
    public static String of(String runId, String node) {
        return of(runId, node, null);
    }

    /**
     * The {@code traceparent} of an event of {@code runId}, about {@code node} or the run itself (null), in the trace
     * {@code traceId} (32 lowercase hex digits, as {@link #traceId} gives) or, when null, the run id's.
     */
    public static String of(String runId, String node, String traceId) {
        StringBuilder b = new StringBuilder(55).append("00-");
        if (traceId != null) {
            b.append(traceId);
        } else {
            traceId(b, runId);
        }
        b.append('-');
        long span = hash(runId, 0x9e3779b97f4a7c15L);
        if (node != null) {
            span = hash(node, hash("#", span));
        }
        hex(b, span == 0 ? 1 : span);
        return b.append("-01").toString();
    }

    /**
     * The trace id of a W3C {@code traceparent} header a caller sent
     * ({@code <version>-<trace id>-<parent id>-<flags>}, lowercase hex), or null when the header is absent or
     * malformed: the trace context specification has a receiver ignore such a header, never refuse the request. A
     * version after {@code 00} is read as {@code 00}, its further fields ignored; version {@code ff} and ids of all
     * zeros are invalid.
     */
    public static String traceId(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        String h = traceparent.strip();
        if (h.length() < 55 || !lowerHex(h, 0, 2) || h.startsWith("ff") || h.charAt(2) != '-' || h.charAt(35) != '-'
            || h.charAt(52) != '-' || !lowerHex(h, 3, 35) || !lowerHex(h, 36, 52) || !lowerHex(h, 53, 55)
            || zeros(h, 3, 35) || zeros(h, 36, 52)) {
            return null;
        }
        boolean v00 = h.startsWith("00");
        if (v00 ? h.length() != 55 : h.length() > 55 && h.charAt(55) != '-') {
            return null;
        }
        return h.substring(3, 35);
    }

    private static boolean lowerHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static void traceId(StringBuilder b, String runId) {
        long high;
        long low;
        UUID uuid = rootUuid(runId);
        if (uuid != null) {
            high = uuid.getMostSignificantBits();
            low = uuid.getLeastSignificantBits();
        } else {
            high = hash(runId, 0xcbf29ce484222325L);
            low = hash(runId, 0x84222325cbf29ce4L);
        }
        if (high == 0 && low == 0) {
            // all zeros is an invalid trace id
            low = 1;
        }
        hex(b, high);
        hex(b, low);
    }

    /** The UUID a run id is or starts with (then followed by {@code :}), or null. */
    private static UUID rootUuid(String id) {
        if (id.length() < 36 || (id.length() > 36 && id.charAt(36) != ':')
                || id.charAt(8) != '-' || id.charAt(13) != '-' || id.charAt(18) != '-' || id.charAt(23) != '-') {
            return null;
        }
        try {
            return UUID.fromString(id.substring(0, 36));
        } catch (IllegalArgumentException notHex) {
            return null;
        }
    }

    /** FNV-1a, 64 bits, over the text's chars, then mixed (FNV alone spreads short ids poorly). */
    private static long hash(String text, long seed) {
        long h = seed;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    private static void hex(StringBuilder b, long value) {
        String digits = Long.toHexString(value);
        for (int i = digits.length(); i < 16; i++) {
            b.append('0');
        }
        b.append(digits);
    }
}
