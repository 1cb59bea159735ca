package dev.caravan.dsl;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What an expression at some place of a file sees.
 *
 * @param variables the variables in scope ({@code input}, {@code nodes}, {@code item}, ...)
 * @param visible   the nodes whose output it may read
 * @param self      the node it belongs to, or null (a workflow's output, a map's or loop's own values)
 * @param outer     the nodes of the lists around its own list, which it may not read
 * @param siblings  the nodes of its own list
 */
record Scope(Set<String> variables, Visible visible, String self, Set<String> outer, Set<String> siblings) {

    /** The nodes whose output an expression may read. */
    sealed interface Visible {
        boolean contains(String id);

        Set<String> all();
    }

    /** Every node of a list: what a workflow's output and a map's or loop's own values read. */
    record AllOf(Set<String> ids) implements Visible {
        @Override
        public boolean contains(String id) {
            return ids.contains(id);
        }

        @Override
        public Set<String> all() {
            return ids;
        }
    }

    /**
     * The nodes a node waits for, directly or through others, searched per reference: the set itself, made for every
     * node, would cost time quadratic in the length of a chain.
     */
    record Upstream(String self, Map<String, List<String>> needs, Set<String> ids) implements Visible {
        @Override
        public boolean contains(String id) {
            return !id.equals(self) && ids.contains(id) && walkUpstream(self, needs, new HashSet<>(), id::equals);
        }

        @Override
        public Set<String> all() {
            Set<String> all = new LinkedHashSet<>();
            walkUpstream(self, needs, all, n -> false);
            all.remove(self);
            all.retainAll(ids);
            return all;
        }
    }

    /**
     * Walks the nodes {@code id} waits for, directly or transitively, adding each to {@code seen} (a cycle, reported
     * elsewhere, is walked once), until {@code found} accepts one; whether it did.
     */
    private static boolean walkUpstream(String id, Map<String, List<String>> needs, Set<String> seen,
            Predicate<String> found) {
        Deque<String> toVisit = new ArrayDeque<>(needs.getOrDefault(id, List.of()));
        while (!toVisit.isEmpty()) {
            String n = toVisit.pop();
            if (found.test(n)) {
                return true;
            }
            if (seen.add(n)) {
                toVisit.addAll(needs.getOrDefault(n, List.of()));
            }
        }
        return false;
    }
}
