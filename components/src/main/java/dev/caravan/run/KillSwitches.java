package dev.caravan.run;

import com.hazelcast.core.EntryAdapter;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Kill switches for one workflow, one tenant, or everything. While one is set no new run starts, and running runs
 * stop at their next node boundary (so before any LLM call), ending {@code cancelled} with the reason. Held in a
 * Hazelcast replicated map: every member reads it locally, so checking at each node costs a map lookup.
 */
public final class KillSwitches {

    public static final String MAP_NAME = "caravan.killSwitches";
    private static final String GLOBAL = "*";

    /** What a switch applies to. */
    public enum Scope {
        GLOBAL, TENANT, WORKFLOW
    }

    private final ReplicatedMap<String, String> switches;
    /** A local copy, refreshed on every change anywhere in the cluster: checked at every node, it must be cheap. */
    private volatile Map<String, String> snapshot;

    KillSwitches(HazelcastInstance hazelcast) {
        this.switches = hazelcast.getReplicatedMap(MAP_NAME);
        switches.addEntryListener(new EntryAdapter<String, String>() {
            @Override
            public void onEntryEvent(EntryEvent<String, String> event) {
                refresh();
            }

            @Override
            public void onMapEvent(MapEvent event) {
                refresh();
            }
        });
        refresh();
    }

    private void refresh() {
        snapshot = Map.copyOf(switches);
    }

    private static String key(Scope scope, String target) {
        return switch (scope) {
            case GLOBAL -> GLOBAL;
            case TENANT -> "tenant:" + target;
            case WORKFLOW -> "workflow:" + target;
        };
    }

    /** Sets a switch; {@code target} is the tenant or workflow name (ignored for GLOBAL). */
    public void set(Scope scope, String target, String reason) {
        if (scope != Scope.GLOBAL && (target == null || target.isBlank())) {
            throw new IllegalArgumentException("A " + scope.name().toLowerCase() + " kill switch needs a target");
        }
        switches.put(key(scope, target), reason == null || reason.isBlank() ? "kill switch" : reason);
        refresh();
    }

    public void clear(Scope scope, String target) {
        switches.remove(key(scope, target));
        refresh();
    }

    /** Every switch that is set, by key ({@code *}, {@code tenant:acme}, {@code workflow:triage}) with its reason. */
    public Map<String, String> active() {
        return new TreeMap<>(snapshot);
    }

    /** Why a run of this workflow and tenant must not go on, if a switch says so. */
    public Optional<String> stopping(String workflow, String tenant) {
        Map<String, String> now = snapshot;
        if (now.isEmpty()) {
            return Optional.empty();
        }
        String reason = now.get(GLOBAL);
        if (reason == null && tenant != null) {
            reason = now.get("tenant:" + tenant);
        }
        if (reason == null && workflow != null) {
            reason = now.get("workflow:" + workflow);
        }
        return Optional.ofNullable(reason).map(r -> "stopped by kill switch: " + r);
    }
}
