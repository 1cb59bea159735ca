package dev.caravan.compile;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeKind;
import dev.caravan.dsl.NodeKinds;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.ParallelBranches;
import dev.caravan.run.WorkflowCatalog;
import dev.caravan.run.WorkflowRoutes;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compiles a workflow into Camel YAML DSL routes in the normalized form ({@code uri:} + {@code parameters:}): one
 * route for the workflow and one per map or loop body. Every node is a step on a {@code caravan-*} component; nodes
 * of one DAG level that can run together become a parallel {@code multicast}. The output runs unchanged in plain
 * Camel with the Caravan jars. Each node kind says which component runs it and whether it computes in place
 * ({@link NodeKind#scheme()}, {@link NodeKind#instant()}).
 */
public final class RouteCompiler implements WorkflowRoutes {

    private final Supplier<NodeKinds> kinds;
    private final TriggerRoutes triggers = new TriggerRoutes();

    /** Compiles the installed node kinds ({@link NodeKinds#installed}). */
    public RouteCompiler() {
        this(NodeKinds.installedPerClassLoader());
    }

    /** Compiles the node kinds {@code kinds} gives. */
    public RouteCompiler(Supplier<NodeKinds> kinds) {
        this.kinds = kinds;
    }

    @Override
    public String compile(Workflow wf) {
        List<Object> routes = new ArrayList<>();
        String base = WorkflowRoutes.ROUTE_PREFIX + wf.name();
        List<Object> steps = new ArrayList<>();
        steps.add(to("caravan-run:begin", wf));
        steps.addAll(levels(wf, kinds.get(), wf.nodes(), "", routes));
        steps.add(to("caravan-run:end", wf));
        routes.add(0, route(base, WorkflowRoutes.routeUri(wf.name()), steps));
        return "# Compiled by caravan from workflow " + wf.name() + " (" + Workflow.shortHash(wf.hash()) + ").\n"
               + "# Each step names its workflow and node; what a node does is read from the workflow file, which the\n"
               + "# engine deploys or finds through the Camel property " + WorkflowCatalog.LOCATIONS_PROPERTY + ".\n"
               + yaml(routes);
    }

    /** Routes as Camel YAML DSL text, in block style. */
    static String yaml(List<Object> routes) {
        DumpSettings settings = DumpSettings.builder()
                .setDefaultFlowStyle(FlowStyle.BLOCK)
                .setIndent(2)
                .setIndicatorIndent(2)
                .setIndentWithIndicator(true)
                .setWidth(120)
                .build();
        return new Dump(settings).dumpToString(routes);
    }

    @Override
    public String compileTriggers(Workflow wf) {
        return triggers.compile(wf);
    }

    @Override
    public List<String> triggerRouteIds(Workflow wf) {
        return triggers.routeIds(wf);
    }

    @Override
    public List<String> requiredTriggerProperties(Workflow wf) {
        return triggers.requiredProperties(wf);
    }

    @Override
    public List<String> routeIds(Workflow wf) {
        List<String> ids = new ArrayList<>();
        String base = WorkflowRoutes.ROUTE_PREFIX + wf.name();
        ids.add(base);
        collectBodyIds(wf.nodes(), base, ids);
        return ids;
    }

    private static void collectBodyIds(List<Node> nodes, String base, List<String> ids) {
        for (Node n : nodes) {
            List<Node> body = n.spec().nodes();
            if (!body.isEmpty()) {
                String id = base + "-" + n.id();
                ids.add(id);
                collectBodyIds(body, id, ids);
            }
        }
    }

    /** Steps for a node list: one step per DAG level, a parallel multicast where a level has several nodes. */
    private List<Object> levels(Workflow wf, NodeKinds kinds, List<Node> nodes, String pathPrefix,
            List<Object> routes) {
        List<Object> steps = new ArrayList<>();
        for (List<Node> level : Dag.levels(nodes)) {
            List<Object> branch = new ArrayList<>();
            List<Object> instant = new ArrayList<>();
            for (Node n : level) {
                NodeKind kind = kind(kinds, n);
                (kind.instant() ? instant : branch).add(step(wf, kinds, kind, n, pathPrefix + n.id(), routes));
            }
            // nodes that compute in place (set, remember) have nothing to wait for side by side: they go first, in
            // line, and a multicast (a thread hand-off per branch) remains only where two nodes may wait at once
            steps.addAll(instant);
            if (branch.isEmpty()) {
                continue;
            }
            if (branch.size() == 1) {
                steps.add(branch.get(0));
            } else {
                Map<String, Object> multicast = new LinkedHashMap<>();
                multicast.put("parallelProcessing", true);
                multicast.put("aggregationStrategy", ParallelBranches.REFERENCE);
                multicast.put("steps", branch);
                steps.add(Map.of("multicast", multicast));
            }
        }
        return steps;
    }

    private Object step(Workflow wf, NodeKinds kinds, NodeKind kind, Node n, String path, List<Object> routes) {
        List<Node> body = n.spec().nodes();
        if (!body.isEmpty()) {
            String uri = WorkflowRoutes.bodyRouteUri(wf.name(), path);
            routes.add(route(uri.substring("direct:".length()), uri, levels(wf, kinds, body, path + "/", routes)));
        }
        return to(kind.scheme() + ":" + path, wf);
    }

    private static NodeKind kind(NodeKinds kinds, Node n) {
        NodeKind kind = kinds.get(n.kind());
        if (kind == null) {
            throw new IllegalArgumentException("No node kind " + n.kind() + " to compile node " + n.id() + " with; "
                    + "expected one of: " + String.join(", ", kinds.names()));
        }
        return kind;
    }

    /** A step to a caravan endpoint of the workflow: the URI names the workflow and the node, nothing else. */
    private static Map<String, Object> to(String uri, Workflow wf) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("workflow", wf.name());
        Map<String, Object> to = new LinkedHashMap<>();
        to.put("uri", uri);
        to.put("parameters", parameters);
        return Map.of("to", to);
    }

    /**
     * A node step followed at once by another caravan step on the same exchange records its outcome with that
     * step's update: one round trip to the store instead of two. Not before a multicast, whose branches are copies.
     */
    private static void recordWithNext(List<Object> steps) {
        for (int i = 0; i + 1 < steps.size(); i++) {
            String uri = toUri(steps.get(i));
            String next = toUri(steps.get(i + 1));
            if (uri != null && next != null && uri.startsWith("caravan-") && !uri.startsWith("caravan-run:")
                && next.startsWith("caravan-")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> to = (Map<String, Object>) ((Map<?, ?>) steps.get(i)).get("to");
                @SuppressWarnings("unchecked")
                Map<String, Object> parameters = (Map<String, Object>) to.computeIfAbsent("parameters",
                        k -> new LinkedHashMap<String, Object>());
                parameters.put(NodeComponent.RECORD_WITH_NEXT, true);
            }
        }
    }

    /** The URI of a {@code to} step, or null for any other step. */
    private static String toUri(Object step) {
        return step instanceof Map<?, ?> m && m.get("to") instanceof Map<?, ?> to && to.get("uri") instanceof String u
                ? u : null;
    }

    private static Map<String, Object> route(String id, String from, List<Object> steps) {
        recordWithNext(steps);
        Map<String, Object> fromMap = new LinkedHashMap<>();
        fromMap.put("uri", from);
        fromMap.put("steps", steps);
        Map<String, Object> route = new LinkedHashMap<>();
        route.put("id", id);
        // Node values are plain data kept in the run record: no streams to cache. A node failure is recorded in
        // the run (node, error class, message) and ends the exchange; Camel need not log it again.
        route.put("streamCache", false);
        route.put("errorHandler", Map.of("noErrorHandler", Map.of()));
        route.put("from", fromMap);
        Map<String, Object> wrapper = new HashMap<>();
        wrapper.put("route", route);
        return wrapper;
    }
}
