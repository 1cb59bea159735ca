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
 * @param continueOnError {@code onError: continue}: when the node fails (after its retries) it ends as failed, its
 *                 output is null, {@code nodes.<id>.error} describes the failure, and the run goes on
 */
public record Node(String id, List<String> needs, String when, NodeSpec spec, RetryPolicy retry, Duration timeout,
        Position position, boolean continueOnError) {

    /** A node whose failure fails the run ({@code onError: fail}). */
    public Node(String id, List<String> needs, String when, NodeSpec spec, RetryPolicy retry, Duration timeout,
            Position position) {
        this(id, needs, when, spec, retry, timeout, position, false);
    }

    /** The node kind as written in the file ({@code agent}, {@code call}, ...). */
    public String kind() {
        return spec.kind();
    }
}
