package dev.caravan.run;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.core.EntryAdapter;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
import dev.caravan.event.EventSink;
import dev.caravan.event.EventTypes;
import dev.caravan.event.PseudoRunIds;
import dev.caravan.event.RunEvent;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.JdbcMapStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Kill switches for one workflow, one tenant, or everything. While one is set no new run starts, and running runs
 * stop at their next node boundary (so before any LLM call), ending {@code cancelled} with the reason. Held in a
 * Hazelcast replicated map: every member reads it locally, so checking at each node costs a map lookup.
 *
 * <p>Setting or clearing a switch publishes {@code caravan.killswitch.set} or {@code caravan.killswitch.cleared} to the
 * member's event sink, under the pseudo run id {@code killswitch:<key>@<incarnation>} and numbered per key by a
 * cluster-wide counter. With a database both outlive a restart of every member ({@link #persist}).
 */
public final class KillSwitches {

    public static final String MAP_NAME = "caravan.killSwitches";
    /** Per switch key, the sequence of its last event. */
    static final String SEQUENCES_MAP_NAME = "caravan.killSwitchEvents";
    /**
     * The switches again, in a map a database can keep (a replicated map has no store): read into the replicated map
     * when a cluster starts with none set.
     */
    static final String KEPT_MAP_NAME = "caravan.killSwitchesKept";
    private static final String GLOBAL = "*";
    /**
     * The entry of {@link #SEQUENCES_MAP_NAME} that says when its counting began: a cluster that lost its counters (all
     * members restarted, no database) begins anew, and its events get ids of their own.
     */
    private static final String INCARNATION = "@incarnation";

    /** What a switch applies to. */
    public enum Scope {
        GLOBAL, TENANT, WORKFLOW
    }

    private final ReplicatedMap<String, String> switches;
    private final IMap<String, Long> sequences;
    /** When the cluster's counters began, once this member asked ({@link #eventRunId}). */
    private volatile Long incarnation;
    private final IMap<String, String> kept;
    private final EventSink sink;
    /** A local copy, refreshed on every change anywhere in the cluster: checked at every node, it must be cheap. */
    private volatile Map<String, String> snapshot;

    KillSwitches(HazelcastInstance hazelcast, EventSink sink) {
        this.switches = hazelcast.getReplicatedMap(MAP_NAME);
        this.sequences = hazelcast.getMap(SEQUENCES_MAP_NAME);
        this.kept = hazelcast.getMap(KEPT_MAP_NAME);
        this.sink = sink;
        if (switches.isEmpty()) {
            // the first member of a cluster after a restart of every member: the switches set before it
            kept.forEach(switches::putIfAbsent);
        }
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
        String why = reason == null || reason.isBlank() ? "kill switch" : reason;
        String key = key(scope, target);
        kept.set(key, why);
        String before = switches.put(key, why);
        refresh();
        if (!why.equals(before)) {
            publish(EventTypes.KILL_SWITCH_SET, scope, target, key, why);
        }
    }

    /** Clears a switch; clearing one that is not set publishes nothing. */
    public void clear(Scope scope, String target) {
        String key = key(scope, target);
        kept.delete(key);
        String reason = switches.remove(key);
        refresh();
        if (reason != null) {
            publish(EventTypes.KILL_SWITCH_CLEARED, scope, target, key, reason);
        }
    }

    private void publish(String type, Scope scope, String target, String key, String reason) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("scope", scope == Scope.GLOBAL ? "all" : scope.name().toLowerCase(Locale.ROOT));
        if (scope != Scope.GLOBAL) {
            data.put("target", target);
        }
        data.put("reason", reason);
        sink.publish(List.of(new RunEvent(type, eventRunId(key), nextSequence(key), System.currentTimeMillis(),
                scope == Scope.WORKFLOW ? target : null, scope == Scope.TENANT ? target : null, null, null, null,
                data)));
    }

    /**
     * Keeps the switches and their events' numbers in the database, so they outlive a restart of every member (tables
     * {@code caravan_kill_switches} and {@code caravan_kill_switch_events}). Called with
     * {@link HazelcastRunStore#persist}.
     */
    public static Config persist(Config config, DataSource dataSource) {
        config.getMapConfig(KEPT_MAP_NAME).getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(JdbcMapStore.json(dataSource, "caravan_kill_switches"))
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER);
        config.getMapConfig(SEQUENCES_MAP_NAME).getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(new JdbcMapStore<Long>(dataSource, "caravan_kill_switch_events", String::valueOf,
                        Long::valueOf))
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER);
        return config;
    }

    /**
     * Kill-switch events travel under the pseudo run id {@code killswitch:<key>@<incarnation>}: the incarnation is when
     * the cluster's counters began (kept with them in the database, so it holds across restarts there).
     */
    public String eventRunId(String key) {
        Long began = incarnation;
        if (began == null) {
            // fixed for as long as the cluster lives (a member lives only in one): asked once, not per event
            long now = System.currentTimeMillis();
            Long found = sequences.putIfAbsent(INCARNATION, now);
            began = found != null ? found : now;
            incarnation = began;
        }
        return PseudoRunIds.killSwitch(key, began);
    }

    /** The key's next event number, counted across the cluster (switches change rarely: a compare-and-set loop). */
    private long nextSequence(String key) {
        while (true) {
            Long last = sequences.get(key);
            if (last == null) {
                if (sequences.putIfAbsent(key, 1L) == null) {
                    return 1;
                }
            } else if (sequences.replace(key, last, last + 1)) {
                return last + 1;
            }
        }
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
