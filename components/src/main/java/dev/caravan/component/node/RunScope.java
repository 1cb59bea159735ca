package dev.caravan.component.node;

import dev.caravan.run.StepServices;
import dev.caravan.state.LaneRecord;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.ValueRef;
import dev.caravan.state.ValueStore;
import org.apache.camel.Exchange;

import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Builds the variables expressions see, for the node keys of one scope. */
public final class RunScope {

    private RunScope() {
    }

    /**
     * {@code input}, {@code run}, {@code nodes} (the nodes of this scope by id, each with {@code output},
     * {@code status} and {@code error}: {@code {code, message, attempts}} of a failed node, else null), {@code lane} (read only when an expression reads it) and the scope's own variables. Values the
     * record holds by reference are resolved from the engine's value store: a node's output only when an expression
     * first reads it.
     */
    public static Map<String, Object> variables(StepServices services, RunRecord record, String scope,
            Map<String, Object> scopeVariables) {
        ValueStore values = services.values();
        Map<String, Object> nodes = new HashMap<>();
        for (NodeRecord n : record.nodes().values()) {
            String key = n.key();
            if (!key.startsWith(scope)) {
                continue;
            }
            String id = key.substring(scope.length());
            if (id.indexOf('.') >= 0 || id.indexOf('[') >= 0) {
                continue;
            }
            if (ValueRef.from(n.output()) != null) {
                nodes.put(id, new ReferencedOutputView(values, n.output(), n.status().label()));
                continue;
            }
            Map<String, Object> view = new HashMap<>(4);
            view.put("output", n.output());
            view.put("status", n.status().label());
            view.put("error", n.errorView());
            nodes.put(id, view);
        }
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("id", record.runId());
        run.put("workflow", record.workflow());
        run.put("tenant", record.tenant());
        if (record.lane() != null) {
            run.put("lane", record.lane());
        }
        Map<String, Object> vars = new HashMap<>(scopeVariables);
        vars.put("input", values.resolve(record.input()));
        vars.put("nodes", nodes);
        vars.put("run", run);
        String laneId = record.lane();
        vars.put("lane", (Supplier<Object>) () -> {
            Map<String, Object> lane = new LinkedHashMap<>();
            LaneRecord l = laneId == null ? null : services.lanes().get(laneId);
            lane.put("id", laneId);
            lane.put("memory", l == null ? Map.of() : l.memory());
            return lane;
        });
        return vars;
    }

    /** A node's view whose output is held by reference: resolved when an expression first reads the view. */
    private static final class ReferencedOutputView extends AbstractMap<String, Object> {
        private final ValueStore values;
        private final Object reference;
        private final String status;
        private volatile Map<String, Object> resolved;

        ReferencedOutputView(ValueStore values, Object reference, String status) {
            this.values = values;
            this.reference = reference;
            this.status = status;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Map<String, Object> view = resolved;
            if (view == null) {
                // only a node that completed holds an output: it has no error
                view = new HashMap<>(4);
                view.put("output", values.resolve(reference));
                view.put("status", status);
                view.put("error", null);
                resolved = view;
            }
            return view.entrySet();
        }
    }

    /** The enclosing scope's variables an exchange carries (item, index, iteration), possibly none. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> scopeVariables(Exchange exchange) {
        Map<String, Object> v = exchange.getProperty(NodeConstants.SCOPE_VARIABLES, Map.class);
        return v == null ? Map.of() : v;
    }

    /** The most urgent pending status among the node keys under a prefix, or null when nothing there waits. */
    public static NodeStatus pendingUnder(RunRecord record, String prefix) {
        NodeStatus found = null;
        for (NodeRecord n : record.nodes().values()) {
            if (n.key().startsWith(prefix) && n.status().isPending()) {
                if (n.status() == NodeStatus.AWAITING_APPROVAL) {
                    return n.status();
                }
                found = n.status();
            }
        }
        return found;
    }

    /**
     * The default output of a scope: the outputs of the named nodes (a comma-separated id list) by id, read from
     * variables made by {@link #variables}.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> outputsOf(Map<String, Object> variables, List<String> nodeIds) {
        Map<String, Object> views = (Map<String, Object>) variables.get("nodes");
        Map<String, Object> out = new LinkedHashMap<>();
        for (String id : nodeIds) {
            Object view = views.get(id);
            out.put(id, view instanceof Map<?, ?> m ? m.get("output") : null);
        }
        return out;
    }
}
