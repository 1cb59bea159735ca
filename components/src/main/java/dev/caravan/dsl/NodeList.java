package dev.caravan.dsl;

import java.util.List;

/**
 * The nodes of a list ({@code spec.nodes}, or the {@code nodes} of a map or loop), read and checked as a graph, with
 * the scope in which values around them (a workflow's or map's {@code output}, a loop's {@code until}) read their
 * outputs: see {@link YamlValue#within}.
 */
public final class NodeList {

    private final List<Node> nodes;
    private final Scope scope;

    NodeList(List<Node> nodes, Scope scope) {
        this.nodes = nodes;
        this.scope = scope;
    }

    /** The nodes that loaded, in file order. */
    public List<Node> nodes() {
        return nodes;
    }

    Scope scope() {
        return scope;
    }
}
