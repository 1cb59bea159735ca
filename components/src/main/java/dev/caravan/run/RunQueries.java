package dev.caravan.run;

import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads runs: one by id, pages of them, the gates they wait on. Values a record holds by reference are resolved;
 * nothing here changes a run.
 */
public final class RunQueries {

    private final Engine engine;

    RunQueries(Engine engine) {
        this.engine = engine;
    }

    /** The run, with the values its record holds by reference resolved; null when there is none. */
    public RunRecord get(String runId) {
        return engine.values().resolve(engine.store().get(runId));
    }

    /** A page of runs, newest first, values resolved; the page's {@code next} cursor asks for the one after it. */
    public RunPage page(RunQuery query) {
        RunPage page = engine.store().page(query);
        return new RunPage(page.runs().stream().map(engine.values()::resolve).toList(), page.next());
    }

    /** Gates awaiting approval in a run and in its sub-workflow runs: run id to node keys. */
    public Map<String, List<String>> pendingGates(String runId) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        collectGates(runId, out);
        return out;
    }

    private void collectGates(String runId, Map<String, List<String>> out) {
        RunRecord r = engine.store().get(runId);
        if (r == null) {
            return;
        }
        for (NodeRecord n : r.nodes().values()) {
            // a gate records its message; a map, loop or workflow node awaiting approval mirrors a gate inside it
            if (n.status() == NodeStatus.AWAITING_APPROVAL && n.detail() != null && n.detail().containsKey("message")) {
                out.computeIfAbsent(runId, k -> new ArrayList<>()).add(n.key());
            }
            if (n.detail() != null && n.detail().get("childRunId") instanceof String child) {
                collectGates(child, out);
            }
        }
    }
}
