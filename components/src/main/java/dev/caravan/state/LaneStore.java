package dev.caravan.state;

import dev.caravan.json.Json;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lanes in a Hazelcast map, changed only by an entry processor on the member that owns the lane, so a lane's cap
 * holds however many members admit runs into it at once. Values are JSON text; lane changes are rare next to node
 * checkpoints.
 */
public final class LaneStore {

    public static final String MAP_NAME = "caravan.lanes";

    private final IMap<String, String> lanes;

    public LaneStore(HazelcastInstance hazelcast) {
        this.lanes = hazelcast.getMap(MAP_NAME);
    }

    /** Registers the lane entry processor's serializer in a member's configuration. */
    public static Config configure(Config config) {
        config.getSerializationConfig().getCompactSerializationConfig().addSerializer(new Update.Serializer());
        return config;
    }

    public LaneRecord get(String laneId) {
        String json = lanes.get(laneId);
        return json == null ? null : Json.read(json, LaneRecord.class);
    }

    /**
     * What a lane operation decided, the lane after it (null once removed), and the lane as it was before, as JSON
     * (null when there was none), read only by who needs it.
     */
    public record Outcome(String decision, LaneRecord lane, String previousJson) {
        /** The lane before the operation, or null. */
        public LaneRecord previous() {
            return previousJson == null ? null : Json.read(previousJson, LaneRecord.class);
        }
    }

    /** Creates a lane; an existing lane is left as it is. */
    public Outcome create(String laneId, String tenant, int cap) {
        return apply(laneId, new Op("create", null, tenant, cap, null, 0));
    }

    /** Admits a run: {@code running} when a slot is free, else {@code queued}; {@code refused:<why>} otherwise. */
    public Outcome admit(String laneId, String runId) {
        return apply(laneId, new Op("admit", runId, null, 0, null, 0));
    }

    /**
     * A run of the lane ended: frees its slot (or queue place) and returns, as the decision, the next queued run
     * that now holds a slot, or empty. {@code failed} counts towards quarantine after {@code quarantineAfter} in a
     * row.
     */
    public Outcome release(String laneId, String runId, boolean failed, int quarantineAfter) {
        return apply(laneId, new Op(failed ? "releaseFailed" : "release", runId, null, 0, null, quarantineAfter));
    }

    /** Stops admitting runs; the lane is removed once its last run ended (at once when it has none). */
    public Outcome drain(String laneId) {
        return apply(laneId, new Op("drain", null, null, 0, null, 0));
    }

    /** Gives a free slot to the first queued run: returns it as the decision, or empty. */
    public Outcome promote(String laneId) {
        return apply(laneId, new Op("promote", null, null, 0, null, 0));
    }

    /** The lanes whose records this member holds. */
    public java.util.Set<String> localLaneIds() {
        return lanes.localKeySet();
    }

    public Outcome remove(String laneId) {
        return apply(laneId, new Op("remove", null, null, 0, null, 0));
    }

    /** Stores values in the lane's memory, all in one update; a null value removes its key. */
    public Outcome putMemory(String laneId, Map<String, ?> entries) {
        return apply(laneId, new Op("put", null, null, 0, entries, 0));
    }

    private Outcome apply(String laneId, Op op) {
        String[] r = (String[]) lanes.executeOnKey(laneId, new Update(Json.write(op)));
        return new Outcome(r[0], r[1] == null ? null : Json.read(r[1], LaneRecord.class), r[2]);
    }

    /** One lane operation, as JSON (never Java serialization). */
    record Op(String op, String runId, String tenant, int cap, Map<String, ?> memory, int quarantineAfter) {
    }

    static final class Update implements EntryProcessor<String, String, Object> {
        private final String opJson;

        Update(String opJson) {
            this.opJson = opJson;
        }

        @Override
        public Object process(Map.Entry<String, String> entry) {
            Op op = Json.read(opJson, Op.class);
            String before = entry.getValue();
            LaneRecord lane = before == null ? null : Json.read(before, LaneRecord.class);
            String decision;
            if (op.op().equals("create")) {
                if (lane == null) {
                    lane = new LaneRecord(entry.getKey(), op.tenant(), LaneRecord.Status.ACTIVE, Math.max(1, op.cap()),
                            List.of(), List.of(), Map.of(), 0, System.currentTimeMillis());
                    decision = "created";
                } else {
                    decision = "exists";
                }
            } else if (lane == null) {
                return new String[] { "refused:no such lane", null, null };
            } else {
                List<String> running = new ArrayList<>(lane.running());
                List<String> queued = new ArrayList<>(lane.queued());
                Map<String, Object> memory = new LinkedHashMap<>(lane.memory());
                LaneRecord.Status status = lane.status();
                int failures = lane.consecutiveFailures();
                switch (op.op()) {
                    case "admit" -> {
                        if (running.contains(op.runId()) || queued.contains(op.runId())) {
                            decision = running.contains(op.runId()) ? "running" : "queued";
                        } else if (status != LaneRecord.Status.ACTIVE) {
                            decision = "refused:lane is " + status.name().toLowerCase(java.util.Locale.ROOT);
                        } else if (running.size() < lane.cap()) {
                            running.add(op.runId());
                            decision = "running";
                        } else {
                            queued.add(op.runId());
                            decision = "queued";
                        }
                    }
                    case "release", "releaseFailed" -> {
                        boolean held = running.remove(op.runId());
                        queued.remove(op.runId());
                        failures = op.op().equals("releaseFailed") ? failures + 1 : 0;
                        if (op.quarantineAfter() > 0 && failures >= op.quarantineAfter()
                            && status == LaneRecord.Status.ACTIVE) {
                            status = LaneRecord.Status.QUARANTINED;
                        }
                        decision = "";
                        if (held && !queued.isEmpty() && status != LaneRecord.Status.QUARANTINED) {
                            String next = queued.remove(0);
                            running.add(next);
                            decision = next;
                        }
                    }
                    case "promote" -> {
                        decision = "";
                        if (status == LaneRecord.Status.ACTIVE && running.size() < lane.cap() && !queued.isEmpty()) {
                            String next = queued.remove(0);
                            running.add(next);
                            decision = next;
                        }
                    }
                    case "drain" -> {
                        status = LaneRecord.Status.DRAINING;
                        decision = "draining";
                    }
                    case "remove" -> {
                        entry.setValue(null);
                        return new String[] { "removed", null, before };
                    }
                    case "put" -> {
                        op.memory().forEach((key, value) -> {
                            if (value == null) {
                                memory.remove(key);
                            } else {
                                memory.put(key, value);
                            }
                        });
                        decision = "stored";
                    }
                    default -> throw new IllegalArgumentException("Unknown lane operation " + op.op());
                }
                lane = new LaneRecord(lane.laneId(), lane.tenant(), status, lane.cap(), running, queued, memory,
                        failures, lane.createdAt());
                if (status == LaneRecord.Status.DRAINING && running.isEmpty() && queued.isEmpty()) {
                    entry.setValue(null);
                    return new String[] { decision.isEmpty() ? "removed" : decision, null, before };
                }
            }
            String json = Json.write(lane);
            entry.setValue(json);
            return new String[] { decision, json, before };
        }

        static final class Serializer implements CompactSerializer<Update> {
            @Override
            public Update read(CompactReader reader) {
                return new Update(reader.readString("op"));
            }

            @Override
            public void write(CompactWriter writer, Update u) {
                writer.writeString("op", u.opJson);
            }

            @Override
            public String getTypeName() {
                return "caravan.LaneUpdate";
            }

            @Override
            public Class<Update> getCompactClass() {
                return Update.class;
            }
        }
    }
}
