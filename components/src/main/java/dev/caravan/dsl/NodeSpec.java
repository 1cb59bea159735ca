package dev.caravan.dsl;

import java.util.List;

/**
 * What a node does: the value under its kind key, as its {@link NodeKind} read it. Values typed {@code Object} are
 * templates: plain YAML values (string, number, boolean, list, map) in which strings may contain {@code ${{ }}} CEL
 * expressions.
 *
 * <p>Each kind's spec is a record in the kind's own package ({@code GateSpec} in {@code dev.caravan.component.gate}),
 * named after its YAML key. This interface is therefore not sealed: a sealed type may permit subclasses in other
 * packages only inside a named module, and Caravan's jars are on the class path, in the unnamed module.
 */
public interface NodeSpec {

    /** The kind's key as written in workflow files ({@code gate}, {@code map}, ...). */
    String kind();

    /**
     * The nodes this node runs as its body (a map's or loop's {@code nodes}), in file order; empty for kinds without
     * one.
     */
    default List<Node> nodes() {
        return List.of();
    }

    /** The workflows ({@code metadata.name}) this node starts as child runs; empty for kinds that start none. */
    default List<String> childWorkflows() {
        return List.of();
    }
}
