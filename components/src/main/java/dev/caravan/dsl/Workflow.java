package dev.caravan.dsl;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A loaded, validated workflow definition ({@code apiVersion: caravan.dev/v1}, {@code kind: Workflow}).
 *
 * @param name        {@code metadata.name}; also the name sub-workflows and the API use
 * @param description optional {@code metadata.description}
 * @param inputSchema JSON Schema the run input is validated against, or null
 * @param budget      the run budget, or null
 * @param defaults    defaults applied to nodes that do not set their own
 * @param nodes       top-level nodes in file order
 * @param tools       tools agents may call, by name
 * @param output      the run output template (a value that may contain {@code ${{ }}} expressions), or null
 * @param triggers    what starts runs of it from outside (webhooks, Kafka topics, table changes, schedules)
 * @param source      where the workflow came from, for error messages
 * @param hash        SHA-256 of the file content, recorded on every run to detect changed definitions
 */
public record Workflow(
        String name,
        String description,
        Map<String, Object> inputSchema,
        Budget budget,
        Defaults defaults,
        List<Node> nodes,
        Map<String, ToolDef> tools,
        Object output,
        List<Trigger> triggers,
        Position source,
        String hash) {

    /** What {@code metadata.name} may be, and so what a {@code workflow} node names: a DNS label. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    /**
     * The node at a path: its id, or inside a map or loop body the container's path, {@code /} and its id
     * ({@code each/summarize}); null when there is none.
     */
    public Node node(String path) {
        List<Node> scope = nodes;
        Node found = null;
        for (String id : path.split("/", -1)) {
            found = null;
            for (Node n : scope) {
                if (n.id().equals(id)) {
                    found = n;
                    break;
                }
            }
            if (found == null) {
                return null;
            }
            scope = found.spec().nodes();
        }
        return found;
    }

    /** The names of the workflows its {@code workflow} nodes run, at any depth, sorted. */
    public Set<String> childWorkflows() {
        Set<String> out = new TreeSet<>();
        collectChildWorkflows(nodes, out);
        return out;
    }

    private static void collectChildWorkflows(List<Node> nodes, Set<String> out) {
        for (Node n : nodes) {
            out.addAll(n.spec().childWorkflows());
            collectChildWorkflows(n.spec().nodes(), out);
        }
    }

    /** A definition hash as messages show it: its first 12 hex digits ("unknown" for none). */
    public static String shortHash(String hash) {
        return hash == null ? "unknown" : hash.substring(0, Math.min(12, hash.length()));
    }

    /** The run budget. Either limit may be null (unlimited). */
    public record Budget(Long usdMicros, Long tokens) {
    }

    /** Node defaults from {@code spec.defaults}. */
    public record Defaults(String model, List<String> fallback, RetryPolicy retry, Duration timeout) {
        public static final Defaults NONE = new Defaults(null, List.of(), RetryPolicy.NONE, null);
    }

    /** A tool: any Camel endpoint, described for the model by a JSON Schema of its arguments. */
    public record ToolDef(String name, String description, Map<String, Object> parameters, String uri, Position position) {
    }
}
