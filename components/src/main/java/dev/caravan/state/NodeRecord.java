package dev.caravan.state;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run knows about one node key ({@code classify}, {@code each[2].summarize}, {@code refine[1].draft}).
 *
 * @param key        the node key: node id, prefixed by the enclosing map/loop keys with their index
 * @param kind       node kind ({@code agent}, {@code gate}, ...)
 * @param status     current status
 * @param output     the recorded output (plain JSON value), once completed
 * @param attempts   attempts started so far
 * @param costMicros LLM cost of this node in micro-dollars
 * @param tokens     LLM tokens (input + output) of this node
 * @param startedAt  epoch millis of the first attempt
 * @param finishedAt epoch millis when it reached a final state, or 0
 * @param error      error message of the last failure, or null
 * @param errorClass error class of the last failure, or null
 * @param detail     kind-specific state: a gate's message and deadline, a wait's due time, a map's items
 * @param errorCode  the stable code of the last failure ({@code TIMEOUT}, {@code RATE_LIMIT}, ...), or null
 * @param continued  whether the node failed with {@code onError: continue}: it is finished, and the nodes after it
 *                   run
 */
public record NodeRecord(
        String key,
        String kind,
        NodeStatus status,
        Object output,
        int attempts,
        long costMicros,
        long tokens,
        long startedAt,
        long finishedAt,
        String error,
        String errorClass,
        Map<String, Object> detail,
        String errorCode,
        boolean continued) {

    /** A node record without a failure code. */
    public NodeRecord(String key, String kind, NodeStatus status, Object output, int attempts, long costMicros,
            long tokens, long startedAt, long finishedAt, String error, String errorClass, Map<String, Object> detail) {
        this(key, kind, status, output, attempts, costMicros, tokens, startedAt, finishedAt, error, errorClass, detail,
                null, false);
    }

    public NodeRecord withStatus(NodeStatus newStatus) {
        return new NodeRecord(key, kind, newStatus, output, attempts, costMicros, tokens, startedAt, finishedAt, error,
                errorClass, detail, errorCode, continued);
    }

    /**
     * Finished for good as far as the nodes after it are concerned: completed, skipped or rejected, or failed with
     * {@code onError: continue}. Replay returns its recorded result (null output for a continued failure).
     */
    public boolean settled() {
        return status.isDone() || status == NodeStatus.FAILED && continued;
    }

    /** What expressions read as {@code nodes.<id>.error}: {@code {code, message, attempts}} once failed, else null. */
    public Map<String, Object> errorView() {
        if (status != NodeStatus.FAILED) {
            return null;
        }
        Map<String, Object> view = new LinkedHashMap<>(4);
        view.put("code", errorCode);
        view.put("message", error);
        view.put("attempts", attempts);
        return view;
    }
}
