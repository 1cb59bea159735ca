package dev.caravan.component.node;

import dev.caravan.state.NodeStatus;

import java.util.Map;

/** What executing a node produced. */
public sealed interface NodeResult {

    /**
     * Finished with an output (a plain JSON value). {@code lastDelta} is streamed text not yet published, which
     * goes out with the completion instead of in an update of its own.
     */
    record Completed(Object output, long costMicros, long tokens, Map<String, Object> detail, String lastDelta)
            implements NodeResult {
        public Completed(Object output, long costMicros, long tokens, Map<String, Object> detail) {
            this(output, costMicros, tokens, detail, null);
        }

        public Completed(Object output) {
            this(output, 0, 0, null, null);
        }
    }

    /** Waits for something outside the route: an approval, a time, a child run, a paused map item. */
    record Paused(NodeStatus status, Map<String, Object> detail) implements NodeResult {
    }
}
