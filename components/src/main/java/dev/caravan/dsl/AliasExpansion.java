package dev.caravan.dsl;

import java.util.IdentityHashMap;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Counts a tree's values with its aliases expanded, and its aliases (a node met again is one). Each distinct node is
 * counted once, so counting costs the size of the file, not of the expansion; counts saturate at
 * {@code Long.MAX_VALUE}.
 */
final class AliasExpansion {

    /** Marks a node whose count is under way: meeting it again means an alias inside the node it names. */
    private static final long COUNTING = -1;
    private final IdentityHashMap<Node, Long> counted = new IdentityHashMap<>();
    private long aliases;
    private Node firstAlias;
    private Node recursive;

    long aliases() {
        return aliases;
    }

    /** Where the first alias is, or null. */
    Node firstAlias() {
        return firstAlias;
    }

    /** The first alias inside the mapping or list it names, or null. */
    Node recursive() {
        return recursive;
    }

    long values(Node n) {
        if (n instanceof ScalarNode) {
            return 1;
        }
        Long known = counted.get(n);
        if (known != null) {
            aliases++;
            if (firstAlias == null) {
                firstAlias = n;
            }
            if (known == COUNTING) {
                if (recursive == null) {
                    recursive = n;
                }
                return Long.MAX_VALUE;
            }
            return known;
        }
        counted.put(n, COUNTING);
        long total = 1;
        if (n instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                total = saturatedAdd(saturatedAdd(total, values(t.getKeyNode())), values(t.getValueNode()));
            }
        } else if (n instanceof SequenceNode seq) {
            for (Node item : seq.getValue()) {
                total = saturatedAdd(total, values(item));
            }
        }
        counted.put(n, total);
        return total;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
