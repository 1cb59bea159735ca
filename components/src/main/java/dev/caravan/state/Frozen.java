package dev.caravan.state;

import dev.caravan.event.RunEvent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deep, unmodifiable copies of plain JSON values. Run records are held as objects and handed out without copying,
 * so nothing that goes into one may be changed afterwards by whoever made it.
 */
public final class Frozen {

    private Frozen() {
    }

    public static Object copyOf(Object value) {
        if (value instanceof Map<?, ?> m) {
            return map(m);
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(copyOf(o));
            }
            return Collections.unmodifiableList(out);
        }
        if (value instanceof Collection<?> c) {
            return copyOf(new ArrayList<>(c));
        }
        return value;
    }

    public static Map<String, Object> map(Map<?, ?> m) {
        if (m == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>(Math.max(4, m.size() * 2));
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.put(String.valueOf(e.getKey()), copyOf(e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** A record read from JSON, made as unmodifiable as the ones mutations build. */
    public static RunRecord record(RunRecord r) {
        if (r == null) {
            return null;
        }
        Map<String, NodeRecord> nodes = new LinkedHashMap<>();
        for (NodeRecord n : r.nodes().values()) {
            nodes.put(n.key(), new NodeRecord(n.key(), n.kind(), n.status(), copyOf(n.output()), n.attempts(),
                    n.costMicros(), n.tokens(), n.startedAt(), n.finishedAt(), n.error(), n.errorClass(),
                    map(n.detail()), n.errorCode(), n.continued()));
        }
        return new RunRecord(r.runId(), r.workflow(), r.workflowHash(), r.tenant(), r.lane(), r.status(),
                copyOf(r.input()), copyOf(r.output()), r.error(), r.errorNode(), r.createdAt(), r.updatedAt(),
                r.sequence(), r.parentRunId(), r.parentNodeKey(), r.costMicros(), r.tokens(),
                Collections.unmodifiableMap(nodes), r.owner(), r.takeovers(), r.errorCode(), r.correlationId(),
                r.traceId(), outbox(r.outbox()));
    }

    private static List<RunEvent> outbox(List<RunEvent> events) {
        if (events.isEmpty()) {
            return List.of();
        }
        List<RunEvent> out = new ArrayList<>(events.size());
        for (RunEvent e : events) {
            out.add(new RunEvent(e.type(), e.runId(), e.sequence(), e.time(), e.workflow(), e.tenant(), e.lane(),
                    e.node(), e.parentRunId(), copyOf(e.data()), e.correlationId(), e.traceId()));
        }
        return Collections.unmodifiableList(out);
    }
}
