package dev.caravan.component.workflow;

import java.util.List;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code workflow} node: runs another workflow as a child run; the output is its output.
 *
 * @param name  the child workflow's {@code metadata.name}
 * @param input the child run's input template, or null (this run's input)
 */
public record WorkflowSpec(String name, Object input) implements NodeSpec {

    @Override
    public String kind() {
        return WorkflowKind.NAME;
    }

    @Override
    public List<String> childWorkflows() {
        return name == null ? List.of() : List.of(name);
    }
}
