package dev.caravan.event;

import java.util.UUID;

/**
 * The W3C trace context ({@code traceparent}, version {@code 00}) of a run event, derived from the event alone so that
 * it needs no state and is the same on every member and after a restart:
 * <ul>
 *   <li>the trace id is the root run's id: its UUID's 32 hex digits, so a sub-workflow run ({@code <parent>:<node>})
 *   shares its parent's trace; an id that does not start with a UUID (a lane's {@code lane:<id>@<created>}) gives
 *   128 bits of its hash;</li>
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
        StringBuilder b = new StringBuilder(55).append("00-");
        traceId(b, runId);
        b.append('-');
        long span = hash(runId, 0x9e3779b97f4a7c15L);
        if (node != null) {
            span = hash(node, hash("#", span));
        }
        hex(b, span == 0 ? 1 : span);
        return b.append("-01").toString();
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
