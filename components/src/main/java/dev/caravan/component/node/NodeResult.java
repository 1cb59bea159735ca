package dev.caravan.component.node;

import dev.caravan.state.NodeStatus;

import java.util.Map;

/** What executing a node produced. */
public sealed interface NodeResult {

    /** Finished with an output (a plain JSON value). */
    record Completed(Object output, long costMicros, long tokens, Map<String, Object> detail) implements NodeResult {
        public Completed(Object output) {
            this(output, 0, 0, null);
        }
    }

    /** Waits for something outside the route: an approval, a time, a child run, a paused map item. */
    record Paused(NodeStatus status, Map<String, Object> detail) implements NodeResult {
    }
}
