package dev.caravan.app.cli;

import dev.caravan.component.gate.GateSpec;
import dev.caravan.component.loop.LoopSpec;
import dev.caravan.component.map.MapSpec;
import dev.caravan.component.workflow.WorkflowSpec;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.Workflow;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The gates a workflow can ask about, named as {@code --approve}/{@code --reject} take them, so that a misspelt gate
 * is refused before the run starts instead of leaving its gate undecided.
 */
final class GateNames {

    /** Gates as {@code approve} or, in sub-workflow runs, {@code <workflow-node>/<gate>} ({@code summary/approve}). */
    private final Set<String> paths = new LinkedHashSet<>();
    /** Gate ids at any depth: a bare id matches every gate with that id, in sub-workflow runs too. */
    private final Set<String> ids = new HashSet<>();

    private GateNames() {
    }

    /**
     * The gates of a workflow and of the sub-workflows its {@code workflow} nodes run.
     *
     * @param workflows finds a workflow by name (null when it is unknown)
     */
    static GateNames of(Workflow wf, Function<String, Workflow> workflows) {
        GateNames names = new GateNames();
        names.collect(wf.nodes(), "", workflows, new ArrayList<>(List.of(wf.name())));
        return names;
    }

    private void collect(List<Node> nodes, String path, Function<String, Workflow> workflows, List<String> calling) {
        for (Node n : nodes) {
            NodeSpec spec = n.spec();
            if (spec instanceof GateSpec) {
                paths.add(path + n.id());
                ids.add(n.id());
            } else if (spec instanceof MapSpec each) {
                collect(each.nodes(), path, workflows, calling);
            } else if (spec instanceof LoopSpec loop) {
                collect(loop.nodes(), path, workflows, calling);
            } else if (spec instanceof WorkflowSpec sub) {
                Workflow child = sub.name() == null ? null : workflows.apply(sub.name());
                if (child != null && !calling.contains(child.name())) { // a workflow that runs itself: once is enough
                    calling.add(child.name());
                    collect(child.nodes(), path + n.id() + "/", workflows, calling);
                    calling.remove(calling.size() - 1);
                }
            }
        }
    }

    /**
     * Whether a {@code --approve}/{@code --reject} value can match one of the gates: a gate id, a node key
     * ({@code each[2].approve}) or a sub-workflow path ({@code summary/approve}, also {@code summary:approve}).
     */
    boolean matches(String node) {
        List<String> segments = new ArrayList<>();
        for (String segment : node.strip().replace(':', '/').split("/", -1)) {
            // node keys carry map/loop positions (each[2].approve): the gate is the last id
            segments.add(segment.substring(segment.lastIndexOf('.') + 1).replaceAll("\\[\\d+]", ""));
        }
        String path = String.join("/", segments);
        return segments.size() == 1 ? ids.contains(path) : paths.contains(path);
    }

    /** Every gate, as its most specific name; empty when the workflow has none. */
    Set<String> all() {
        return paths;
    }
}
