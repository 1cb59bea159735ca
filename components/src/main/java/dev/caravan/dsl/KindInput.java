package dev.caravan.dsl;

import java.util.Map;

/**
 * What a {@link NodeKind} reads a node from: the value under its key, and what of the node and the workflow around
 * it the kind may need. Values are named in messages as {@code <kind> of node '<id>'}.
 */
public final class KindInput {

    private final YamlValue value;
    private final Fields fields;
    private final String label;
    private final YamlValue onError;
    private final boolean continuesOnError;
    private final Map<String, Workflow.ToolDef> tools;
    private final Workflow.Defaults defaults;

    KindInput(NodeKind kind, YamlValue value, String label, YamlValue onError, boolean continuesOnError,
            Map<String, Workflow.ToolDef> tools, Workflow.Defaults defaults) {
        this.value = value;
        this.fields = kind.keys().isEmpty() ? null : value.fields(kind.keys());
        this.label = label;
        this.onError = onError;
        this.continuesOnError = continuesOnError;
        this.tools = tools;
        this.defaults = defaults;
    }

    /** The value under the kind's key. */
    public YamlValue value() {
        return value;
    }

    /**
     * The value's keys, checked against {@link NodeKind#keys()}; null (with a problem) when the value is not a
     * mapping, and for a kind whose keys are the user's.
     */
    public Fields fields() {
        return fields;
    }

    /** The node as messages name it: {@code node 'a'}. */
    public String label() {
        return label;
    }

    /** The node's {@code onError} value (absent when it has none). */
    public YamlValue onError() {
        return onError;
    }

    /** Whether the node has {@code onError: continue}. */
    public boolean continuesOnError() {
        return continuesOnError;
    }

    /** The workflow's tools ({@code spec.tools}), by name. */
    public Map<String, Workflow.ToolDef> tools() {
        return tools;
    }

    /** The workflow's node defaults ({@code spec.defaults}). */
    public Workflow.Defaults defaults() {
        return defaults;
    }
}
