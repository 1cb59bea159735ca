package dev.caravan.dsl;

import java.util.List;

/**
 * A node kind: the key that gives a node its kind ({@code gate}, {@code map}), the keys of the value under it, how
 * that value becomes the node's {@link NodeSpec}, and the Caravan component the workflow compiler writes the node as
 * a step to. Each kind is one package ({@code dev.caravan.component.gate} holds the gate's kind, spec, component and
 * endpoint); the loader finds kinds with {@link java.util.ServiceLoader}, listed in
 * {@code META-INF/services/dev.caravan.dsl.NodeKind} (see {@link NodeKinds}).
 *
 * <p>A kind reads through a {@link KindInput}, never the YAML tree, so every problem it reports names
 * {@code file:line:column}. Implementations are stateless and have a public no-argument constructor.
 */
public interface NodeKind {

    /** The key that makes a node of this kind, as written in workflow files. */
    String name();

    /**
     * The keys of the value under {@link #name()}, in the order messages list them; empty when the value is a mapping
     * of names the user chooses ({@code set}). The published JSON Schema of the format lists the same keys.
     */
    List<String> keys();

    /** The scheme of the Caravan component that runs nodes of this kind ({@code caravan-gate}). */
    String scheme();

    /**
     * Whether nodes of this kind compute in place, without I/O or waiting ({@code set}, {@code fail}): the compiler
     * puts them in line before the nodes of their level that may wait, which need a parallel branch each.
     */
    default boolean instant() {
        return false;
    }

    /** The node's spec read from its value; null when the value has problems, each reported through the input. */
    NodeSpec parse(KindInput input);
}
