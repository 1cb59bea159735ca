package dev.caravan.dsl;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * The keys of a mapping, checked against the allowed ones when read: an unknown key, a repeated one or one that is
 * not a string is reported where it is written. The values under keys are named after the mapping
 * ({@code gate of node 'a'} and {@code timeout} give {@code gate.timeout of node 'a'}).
 */
public final class Fields {

    private final YamlValue mapping;
    private final Map<String, NodeTuple> tuples = new LinkedHashMap<>();

    Fields(YamlValue mapping, MappingNode node, List<String> allowed) {
        this.mapping = mapping;
        YamlFile file = mapping.reading().file();
        Map<String, Node> seen = new HashMap<>();
        for (NodeTuple t : node.getValue()) {
            String k = file.key(t.getKeyNode(), mapping.what(), seen);
            if (k == null) {
                continue;
            }
            if (!allowed.contains(k)) {
                file.error(t.getKeyNode(), "unknown key '" + k + "' in " + mapping.what() + "; expected one of: "
                        + String.join(", ", allowed));
                continue;
            }
            tuples.put(k, t);
        }
    }

    /** The value under {@code key}; absent when the key is not there. */
    public YamlValue get(String key) {
        NodeTuple t = tuples.get(key);
        return value(t == null ? null : t.getValueNode(), key);
    }

    /** The value under {@code key}; absent, with a problem at the mapping, when the key is not there. */
    public YamlValue required(String key) {
        YamlValue v = get(key);
        if (!v.isPresent()) {
            mapping.error("missing required key '" + key + "' in " + mapping.what());
        }
        return v;
    }

    public boolean has(String key) {
        return tuples.containsKey(key);
    }

    /** The key itself, where it is written; absent when it is not there. */
    YamlValue key(String key) {
        NodeTuple t = tuples.get(key);
        return value(t == null ? null : t.getKeyNode(), key);
    }

    private YamlValue value(Node node, String key) {
        return new YamlValue(mapping.reading(), node, YamlValue.sub(mapping.what(), key), mapping.scope());
    }
}
