package dev.caravan.component.workflow;

import java.util.List;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.YamlValue;

/** The {@code workflow} kind: a child run of another workflow, run by {@code caravan-workflow}. */
public final class WorkflowKind extends NodeKindSupport {

    public static final String NAME = "workflow";

    private static final List<String> KEYS = List.of("name", "input");

    public WorkflowKind() {
        super(NAME, "caravan-workflow", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        YamlValue nameValue = f.required("name");
        String name = nameValue.string();
        if (name != null && !Workflow.NAME.matcher(name).matches()) {
            nameValue.error("expected " + nameValue.what() + " to be the metadata.name of a workflow (a DNS label), "
                    + "found '" + name + "'");
        }
        return new WorkflowSpec(name, f.get("input").template());
    }
}
