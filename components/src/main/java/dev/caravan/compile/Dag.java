package dev.caravan.compile;

import dev.caravan.dsl.Node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Orders a validated (acyclic) node list into levels: a node's level is one more than its deepest need. */
public final class Dag {

    private Dag() {
    }

    public static List<List<Node>> levels(List<Node> nodes) {
        Map<String, Node> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        Map<String, Integer> level = new HashMap<>();
        List<List<Node>> out = new ArrayList<>();
        for (Node n : nodes) {
            int l = levelOf(n, byId, level);
            while (out.size() <= l) {
                out.add(new ArrayList<>());
            }
        }
        for (Node n : nodes) {
            out.get(level.get(n.id())).add(n);
        }
        return out;
    }

    private static int levelOf(Node n, Map<String, Node> byId, Map<String, Integer> memo) {
        Integer known = memo.get(n.id());
        if (known != null) {
            return known;
        }
        int l = 0;
        for (String need : n.needs()) {
            Node dep = byId.get(need);
            if (dep != null) {
                l = Math.max(l, levelOf(dep, byId, memo) + 1);
            }
        }
        memo.put(n.id(), l);
        return l;
    }
}
