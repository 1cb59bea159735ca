package dev.caravan.dsl;

import java.time.Duration;
import java.util.List;

/**
 * One node of a workflow DAG.
 *
 * @param id       unique within its enclosing node list
 * @param needs    ids of nodes (in the same list) that must finish first
 * @param when     a condition template ({@code ${{ }}}), or null; false skips the node
 * @param spec     what the node does
 * @param retry    retry policy, or null to use the workflow default
 * @param timeout  per-attempt timeout, or null to use the workflow default
 * @param position where the node starts in its file
 */
public record Node(String id, List<String> needs, String when, NodeSpec spec, RetryPolicy retry, Duration timeout,
        Position position) {

    /** The node kind as written in the file ({@code agent}, {@code call}, ...). */
    public String kind() {
        return spec.kind();
    }
}
