package dev.caravan.component.map;

import java.util.List;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;

/**
 * A {@code map} node: runs its nodes once per item; the output is the list of per-item outputs, in item order.
 *
 * @param items       a list, or a template giving one
 * @param concurrency how many items run at once
 * @param nodes       the nodes run per item ({@code item} and {@code index} in scope)
 * @param output      the per-item output template, or null (the outputs of the nodes by id)
 */
public record MapSpec(Object items, int concurrency, List<Node> nodes, Object output) implements NodeSpec {

    @Override
    public String kind() {
        return MapKind.NAME;
    }
}
