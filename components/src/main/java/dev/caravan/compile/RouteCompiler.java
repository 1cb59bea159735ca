package dev.caravan.compile;

import dev.caravan.component.node.UriTemplates;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.RetryPolicy;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.RunService;
import dev.caravan.state.Json;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a workflow into Camel YAML DSL routes in the normalized form ({@code uri:} + {@code parameters:}): one
 * route for the workflow and one per map or loop body. Every node is a step on a {@code caravan-*} component; nodes
 * of one DAG level that can run together become a parallel {@code multicast}. The output runs unchanged in plain
 * Camel with the Caravan jars.
 */
public final class RouteCompiler {

    public String compile(Workflow wf) {
        List<Object> routes = new ArrayList<>();
        String base = "caravan-workflow-" + wf.name();
        List<Object> steps = new ArrayList<>();
        Map<String, Object> begin = new LinkedHashMap<>();
        begin.put("workflow", wf.name());
        begin.put("workflowHash", wf.hash());
        if (wf.inputSchema() != null && !wf.inputSchema().isEmpty()) {
            begin.put("inputSchema", Json.write(wf.inputSchema()));
        }
        steps.add(to("caravan-run:begin", begin));
        steps.addAll(levels(wf, wf.nodes(), base, routes));
        Map<String, Object> end = new LinkedHashMap<>();
        end.put("workflow", wf.name());
        end.put("nodes", String.join(",", wf.nodes().stream().map(Node::id).toList()));
        if (wf.output() != null) {
            end.put("output", template(wf.output()));
        }
        steps.add(to("caravan-run:end", end));
        routes.add(0, route(base, RunService.routeUri(wf.name()), steps));
        DumpSettings settings = DumpSettings.builder()
                .setDefaultFlowStyle(FlowStyle.BLOCK)
                .setIndent(2)
                .setIndicatorIndent(2)
                .setIndentWithIndicator(true)
                .setWidth(120)
                .build();
        return "# Compiled by caravan from workflow " + wf.name() + " (" + wf.hash().substring(0, 12) + ")\n"
               + new Dump(settings).dumpToString(routes);
    }

    /** The ids of the routes {@link #compile} makes for a workflow. */
    public List<String> routeIds(Workflow wf) {
        List<String> ids = new ArrayList<>();
        String base = "caravan-workflow-" + wf.name();
        ids.add(base);
        collectBodyIds(wf.nodes(), base, ids);
        return ids;
    }

    private static void collectBodyIds(List<Node> nodes, String base, List<String> ids) {
        for (Node n : nodes) {
            List<Node> body = body(n);
            if (body != null) {
                String id = base + "-" + n.id();
                ids.add(id);
                collectBodyIds(body, id, ids);
            }
        }
    }

    private static List<Node> body(Node n) {
        if (n.spec() instanceof NodeSpec.ForEach m) {
            return m.nodes();
        }
        if (n.spec() instanceof NodeSpec.Loop l) {
            return l.nodes();
        }
        return null;
    }

    /** Steps for a node list: one step per DAG level, a parallel multicast where a level has several nodes. */
    private List<Object> levels(Workflow wf, List<Node> nodes, String routeBase, List<Object> routes) {
        List<Object> steps = new ArrayList<>();
        for (List<Node> level : Dag.levels(nodes)) {
            List<Object> branch = new ArrayList<>();
            List<Object> instant = new ArrayList<>();
            for (Node n : level) {
                (isInstant(n) ? instant : branch).add(step(wf, n, routeBase, routes));
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
                multicast.put("steps", branch);
                steps.add(Map.of("multicast", multicast));
            }
        }
        return steps;
    }

    private Object step(Workflow wf, Node n, String routeBase, List<Object> routes) {
        Map<String, Object> p = new LinkedHashMap<>();
        if (!n.needs().isEmpty()) {
            p.put("needs", String.join(",", n.needs()));
        }
        if (n.when() != null) {
            p.put("when", UriTemplates.encode(n.when()));
        }
        RetryPolicy retry = n.retry() != null ? n.retry() : wf.defaults().retry();
        if (retry != null && retry.maxAttempts() > 1 && retryable(n)) {
            p.put("maxAttempts", retry.maxAttempts());
            p.put("backoff", retry.backoff());
            p.put("initialDelay", retry.initialDelay().toMillis());
            if (!retry.maxDelay().isZero()) {
                p.put("maxDelay", retry.maxDelay().toMillis());
            }
        }
        Duration timeout = n.timeout() != null ? n.timeout() : wf.defaults().timeout();
        if (timeout != null && retryable(n)) {
            p.put("timeout", timeout.toMillis());
        }
        String scheme;
        if (n.spec() instanceof NodeSpec.Agent a) {
                scheme = "caravan-agent";
                String model = a.model() != null ? a.model() : wf.defaults().model();
                put(p, "model", model == null ? "scripted" : model);
                List<String> fallback = a.fallback() != null && !a.fallback().isEmpty() ? a.fallback() : wf.defaults().fallback();
                if (fallback != null && !fallback.isEmpty()) {
                    p.put("fallback", String.join(",", fallback));
                }
                put(p, "system", a.system() == null ? null : UriTemplates.encode(a.system()));
                put(p, "prompt", a.prompt() == null ? null : UriTemplates.encode(a.prompt()));
                if (a.output() != null) {
                    p.put("outputSchema", Json.write(a.output()));
                }
                if (a.tools() != null && !a.tools().isEmpty()) {
                    List<Map<String, Object>> tools = new ArrayList<>();
                    for (String t : a.tools()) {
                        Workflow.ToolDef def = wf.tools().get(t);
                        Map<String, Object> tool = new LinkedHashMap<>();
                        tool.put("name", def.name());
                        tool.put("description", def.description());
                        tool.put("parameters", def.parameters());
                        tool.put("uri", def.uri());
                        tools.add(tool);
                    }
                    p.put("tools", Json.write(tools));
                }
                if (wf.budget() != null) {
                    put(p, "budgetTokens", wf.budget().tokens());
                    put(p, "budgetMicros", wf.budget().usdMicros());
                }
                put(p, "maxTokens", a.maxTokens());
                put(p, "temperature", a.temperature());
                put(p, "maxToolRounds", a.maxToolRounds());
                if (a.scripted() != null) {
                    if (a.scripted().replies() != null) {
                        p.put("scriptedReplies", Json.write(a.scripted().replies()));
                    }
                    put(p, "scriptedLatency", a.scripted().latencyMs());
                }
        } else if (n.spec() instanceof NodeSpec.Call c) {
                scheme = "caravan-call";
                p.put("uri", UriTemplates.encode(c.uri()));
                put(p, "body", c.body() == null ? null : template(c.body()));
                if (c.headers() != null && !c.headers().isEmpty()) {
                    p.put("headers", template(c.headers()));
                }
        } else if (n.spec() instanceof NodeSpec.Compute s) {
                scheme = "caravan-set";
                p.put("values", template(s.values()));
        } else if (n.spec() instanceof NodeSpec.Remember r) {
                scheme = "caravan-set";
                p.put("values", template(r.values()));
                p.put("remember", true);
        } else if (n.spec() instanceof NodeSpec.Gate g) {
                scheme = "caravan-gate";
                put(p, "message", g.message() == null ? null : UriTemplates.encode(g.message()));
                if (g.timeout() != null) {
                    p.put("gateTimeout", g.timeout().toMillis());
                }
                put(p, "onTimeout", g.onTimeout());
        } else if (n.spec() instanceof NodeSpec.ForEach m) {
                scheme = "caravan-map";
                String id = routeBase + "-" + n.id();
                String uri = "direct:" + id;
                routes.add(route(id, uri, levels(wf, m.nodes(), id, routes)));
                p.put("items", template(m.items()));
                p.put("concurrency", m.concurrency());
                if (m.output() != null) {
                    p.put("output", template(m.output()));
                }
                p.put("nodes", String.join(",", m.nodes().stream().map(Node::id).toList()));
                p.put("body", uri);
        } else if (n.spec() instanceof NodeSpec.Loop l) {
                scheme = "caravan-loop";
                String id = routeBase + "-" + n.id();
                String uri = "direct:" + id;
                routes.add(route(id, uri, levels(wf, l.nodes(), id, routes)));
                p.put("max", l.max());
                put(p, "until", l.until() == null ? null : UriTemplates.encode(l.until()));
                if (l.output() != null) {
                    p.put("output", template(l.output()));
                }
                p.put("nodes", String.join(",", l.nodes().stream().map(Node::id).toList()));
                p.put("body", uri);
        } else if (n.spec() instanceof NodeSpec.SubWorkflow s) {
                scheme = "caravan-workflow";
                p.put("workflow", s.name());
                if (s.input() != null) {
                    p.put("input", template(s.input()));
                }
        } else if (n.spec() instanceof NodeSpec.Wait w) {
                scheme = "caravan-wait";
                put(p, "duration", w.duration() == null ? null : UriTemplates.encode(w.duration()));
                put(p, "until", w.until() == null ? null : UriTemplates.encode(w.until()));
        } else if (n.spec() instanceof NodeSpec.Emit e) {
                scheme = "caravan-emit";
                p.put("type", e.type());
                if (e.data() != null) {
                    p.put("data", template(e.data()));
                }
        } else {
            throw new IllegalStateException("Unknown node kind " + n.kind());
        }
        return to(scheme + ":" + n.id(), p);
    }

    /** Nodes that compute their output in place, without I/O or waiting. */
    private static boolean isInstant(Node n) {
        return n.spec() instanceof NodeSpec.Compute || n.spec() instanceof NodeSpec.Remember;
    }

    /** Nodes whose attempts can fail and be retried; gates, waits and containers are not retried as a whole. */
    private static boolean retryable(Node n) {
        return n.spec() instanceof NodeSpec.Agent || n.spec() instanceof NodeSpec.Call
               || n.spec() instanceof NodeSpec.Compute || n.spec() instanceof NodeSpec.Remember
               || n.spec() instanceof NodeSpec.Emit;
    }

    /** A template value as a URI parameter: text as it is, structured values as JSON; expressions URI-safe. */
    static String template(Object value) {
        String text = value instanceof String s ? s : Json.write(value);
        return UriTemplates.encode(text);
    }

    private static void put(Map<String, Object> p, String key, Object value) {
        if (value != null) {
            p.put(key, value);
        }
    }

    private static Map<String, Object> to(String uri, Map<String, Object> parameters) {
        Map<String, Object> to = new LinkedHashMap<>();
        to.put("uri", uri);
        if (!parameters.isEmpty()) {
            Map<String, Object> values = new LinkedHashMap<>();
            parameters.forEach((k, v) -> values.put(k, raw(v)));
            to.put("parameters", values);
        }
        return Map.of("to", to);
    }

    /**
     * Camel turns the parameters into a query string and parses it back, which makes {@code +} a space and
     * {@code %xx} a character: a value holding either (an expression such as {@code a + b}) is passed RAW.
     */
    private static Object raw(Object value) {
        if (value instanceof String s && (s.indexOf('+') >= 0 || s.indexOf('%') >= 0)) {
            return "RAW(" + s + ")";
        }
        return value;
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
                parameters.put("recordWithNext", true);
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
