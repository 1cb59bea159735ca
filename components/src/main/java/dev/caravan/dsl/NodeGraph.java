package dev.caravan.dsl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads node lists as graphs: node ids (present, well formed, unique), {@code needs} (naming nodes of the same list,
 * once each), what each node's expressions may read (the nodes it waits for, directly or through others), and
 * cycles. Each node itself is read by a {@link NodeReader}. Not thread-safe; one instance per load.
 */
final class NodeGraph {

    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,62}");

    /** Reads one node of a list. */
    interface NodeReader {
        /**
         * A node, or null when it has problems; {@code node} reads in the node's scope, {@code ids} are the nodes of
         * its list, and {@link NodeGraph#needs} puts what it needs in {@code needs} for the cycle check.
         */
        Node read(YamlValue node, String id, String label, Set<String> ids, List<String> needs);
    }

    /** Ends a parse that went past a limit, the limit's problem recorded: the rest of the file is not read. */
    static final class LimitReached extends RuntimeException {
        LimitReached() {
            super(null, null, false, false);
        }
    }

    private final YamlFile file;
    private final List<String> kinds;
    private final NodeReader reader;
    /** Nodes read so far, in every list of the file. */
    private int nodeCount;

    NodeGraph(YamlFile file, List<String> kinds, NodeReader reader) {
        this.file = file;
        this.kinds = kinds;
        this.reader = reader;
    }

    /** The nodes of a map or loop body: they see the variables around them and {@code extra}, and their own list. */
    NodeList body(YamlValue list, Set<String> extra) {
        Scope scope = list.scope();
        Set<String> variables = new HashSet<>(scope.variables());
        variables.addAll(extra);
        Set<String> outer = new HashSet<>(scope.outer());
        outer.addAll(scope.siblings());
        if (scope.self() != null) {
            outer.add(scope.self());
        }
        return nodes(list, Set.copyOf(variables), outer);
    }

    /** A list of nodes whose expressions see {@code variables}, and for whom the {@code outer} nodes are out of sight. */
    NodeList nodes(YamlValue list, Set<String> variables, Set<String> outer) {
        String what = list.what();
        if (!list.isPresent()) {
            return empty(variables, outer);
        }
        if (!list.isList()) {
            list.error("expected " + what + " to be a list of nodes, found " + list.describe());
            return empty(variables, outer);
        }
        List<YamlValue> items = list.items();
        if (items.isEmpty()) {
            list.error("expected " + what + " to hold at least one node, found an empty list");
            return empty(variables, outer);
        }
        int limit = file.limits().nodes();
        if (items.size() > limit - nodeCount) {
            items.get(limit - nodeCount).error("the file has more than " + limit + " nodes, "
                    + LoadLimits.refusal("nodes"));
            throw new LimitReached();
        }
        nodeCount += items.size();
        // first pass: ids, so needs and expressions can refer to any node of the list
        Map<String, YamlValue> idValues = new LinkedHashMap<>();
        List<String> idOf = new ArrayList<>();
        List<String> labelOf = new ArrayList<>();
        for (YamlValue item : items) {
            String id = null;
            if (item.isMapping()) {
                YamlValue idValue = item.peek("id").named("node id");
                if (!idValue.isPresent()) {
                    item.error("expected every node in " + what + " to have an 'id', found a node without one");
                } else {
                    id = idValue.string();
                    if (id != null && !NODE_ID.matcher(id).matches()) {
                        idValue.error("expected a node id of letters, digits, '_' and '-' starting with a letter "
                                + "or '_' (at most 63 characters), found '" + id + "'");
                    } else if (id != null && idValues.containsKey(id)) {
                        idValue.error("duplicate node id '" + id + "': also defined at "
                                + idValues.get(id).position());
                        labelOf.add(id);
                        idOf.add(null);
                        continue;
                    } else if (id != null) {
                        idValues.put(id, idValue);
                    }
                }
            } else {
                item.error("expected a node (a mapping with 'id' and one of " + String.join(", ", kinds)
                        + "), found " + item.describe());
            }
            idOf.add(id);
            labelOf.add(id);
        }
        Set<String> ids = Collections.unmodifiableSet(new LinkedHashSet<>(idValues.keySet()));
        List<Node> out = new ArrayList<>();
        Map<String, List<String>> needsOf = new LinkedHashMap<>();
        Map<String, List<String>> declaredNeeds = declaredNeeds(items, idOf);
        for (int i = 0; i < items.size(); i++) {
            YamlValue item = items.get(i);
            if (!item.isMapping()) {
                continue;
            }
            String id = idOf.get(i);
            // a node reads only what it waits for: the nodes it needs, directly or through others
            Scope.Visible visible = id == null ? new Scope.AllOf(Set.of())
                    : new Scope.Upstream(id, declaredNeeds, ids);
            Scope scope = new Scope(variables, visible, id, outer, ids);
            List<String> needs = new ArrayList<>();
            Node node = reader.read(item.in(scope), id, labelOf.get(i), ids, needs);
            if (node != null) {
                out.add(node);
            }
            if (id != null) {
                needsOf.put(id, needs);
            }
        }
        cycles(needsOf, idValues);
        return new NodeList(List.copyOf(out), new Scope(variables, new Scope.AllOf(ids), null, outer, ids));
    }

    private static NodeList empty(Set<String> variables, Set<String> outer) {
        return new NodeList(List.of(), new Scope(variables, new Scope.AllOf(Set.of()), null, outer, Set.of()));
    }

    /** The ids each node of a list names under {@code needs}, read ahead so scopes can be computed. */
    private static Map<String, List<String>> declaredNeeds(List<YamlValue> items, List<String> idOf) {
        Map<String, List<String>> out = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (!items.get(i).isMapping() || idOf.get(i) == null) {
                continue;
            }
            List<String> needs = new ArrayList<>();
            for (YamlValue v : items.get(i).peekAll("needs")) {
                if (v.isList()) {
                    v.items().forEach(n -> {
                        if (n.isScalar()) {
                            needs.add(n.text());
                        }
                    });
                } else if (v.isScalar()) {
                    needs.add(v.text());
                }
            }
            out.put(idOf.get(i), needs);
        }
        return out;
    }

    /**
     * The {@code needs} of a node (a list of ids or one id), each naming a node of {@code ids} once; the valid ones are
     * added to {@code needs}.
     */
    void needs(YamlValue value, String label, String id, Set<String> ids, List<String> needs) {
        if (!value.isPresent()) {
            return;
        }
        List<YamlValue> entries = value.isList() ? value.items() : List.of(value);
        if (!value.isList() && !value.isScalar()) {
            value.error("expected needs of " + label + " to be a list of node ids, found " + value.describe());
            entries = List.of();
        }
        for (YamlValue e : entries) {
            String need = e.string();
            if (need == null) {
                continue;
            }
            if (!ids.contains(need)) {
                e.error("needs of " + label + " names unknown node '" + need + "'; expected one of: "
                        + ExpressionChecks.listOrNone(ids, id));
            } else if (needs.contains(need)) {
                e.error("needs of " + label + " names '" + need + "' twice");
            } else {
                needs.add(need);
            }
        }
    }

    private void cycles(Map<String, List<String>> needsOf, Map<String, YamlValue> idValues) {
        Map<String, Integer> state = new HashMap<>();
        List<String> order = new ArrayList<>(needsOf.keySet());
        Set<String> reported = new HashSet<>();
        for (String start : order) {
            dfs(start, needsOf, state, new ArrayList<>(), idValues, reported, order);
        }
    }

    private void dfs(String id, Map<String, List<String>> needsOf, Map<String, Integer> state, List<String> stack,
            Map<String, YamlValue> idValues, Set<String> reported, List<String> order) {
        Integer s = state.get(id);
        if (s != null && s == 2) {
            return;
        }
        if (s != null && s == 1) {
            List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(id), stack.size()));
            // start the cycle at the node that comes first in the file, so each cycle is reported once
            String first = cycle.stream().min(Comparator.comparingInt(order::indexOf)).orElseThrow();
            Collections.rotate(cycle, -cycle.indexOf(first));
            String key = new TreeSet<>(cycle).toString();
            if (reported.add(key)) {
                // needs point from a node to what it waits for; print the cycle in run order
                List<String> runOrder = new ArrayList<>(cycle);
                Collections.reverse(runOrder);
                Collections.rotate(runOrder, -runOrder.indexOf(first));
                StringBuilder sb = new StringBuilder();
                for (String c : runOrder) {
                    sb.append(c).append(" (").append(idValues.get(c).position()).append(") -> ");
                }
                sb.append(first);
                idValues.get(first).error("needs form a cycle: " + sb + "; expected the nodes to form a DAG");
            }
            return;
        }
        state.put(id, 1);
        stack.add(id);
        for (String need : needsOf.getOrDefault(id, List.of())) {
            dfs(need, needsOf, state, stack, idValues, reported, order);
        }
        stack.remove(stack.size() - 1);
        state.put(id, 2);
    }
}
