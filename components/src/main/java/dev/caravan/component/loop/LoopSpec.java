package dev.caravan.component.loop;

import java.util.List;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;

/**
 * A {@code loop} node: repeats its nodes until a condition holds or {@code max} iterations ran; the output is the last
 * iteration's.
 *
 * @param max    the most iterations
 * @param until  the condition checked after each iteration, or null
 * @param nodes  the nodes of an iteration ({@code iteration} in scope)
 * @param output the output template, or null (the outputs of the nodes by id)
 */
public record LoopSpec(int max, String until, List<Node> nodes, Object output) implements NodeSpec {

    @Override
    public String kind() {
        return LoopKind.NAME;
    }
}
