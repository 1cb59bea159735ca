package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.caravan.event.EventSink;
import dev.caravan.event.EventTypes;
import dev.caravan.event.PseudoRunIds;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Lanes in a Hazelcast map, changed only by an entry processor on the member that owns the lane, so a lane's cap
 * holds however many members admit runs into it at once. Values are JSON text; lane changes are rare next to node
 * checkpoints. A lane's events ({@code caravan.lane.*}) are made by the update that changes it, numbered by the lane's
 * own sequence (kept in its record, so it holds across members and restarts), and handed to the event sink of the
 * member that applied it, as run events are.
 */
public final class LaneStore {

    public static final String MAP_NAME = "caravan.lanes";

    /** The member's user-context key of the sink its lane updates publish to. */
    static final String SINK_KEY = "caravan.laneEventSink";

    private final IMap<String, String> lanes;
    /** Where updates applied on this member publish; null when the member names none. */
    private final EventSink sink;

    /** A store on a member configured by {@link HazelcastRunStore#configure}, publishing to its sink. */
    public LaneStore(HazelcastInstance hazelcast) {
        this(hazelcast, null);
    }

    /** @param sink where events go on a member whose configuration names no sink */
    public LaneStore(HazelcastInstance hazelcast, EventSink sink) {
        this.lanes = hazelcast.getMap(MAP_NAME);
        Object configured = hazelcast.getConfig().getUserContext().get(SINK_KEY);
        this.sink = configured instanceof EventSink s ? s : sink;
    }

    /**
     * Registers the lane entry processors' serializers in a member's configuration, and the sink that lane updates
     * applied on that member publish to.
     */
    public static Config configure(Config config, EventSink sink) {
        config.getSerializationConfig().getCompactSerializationConfig()
                .addSerializer(new Update.Serializer())
                .addSerializer(new SetLane.Serializer());
        if (sink != null) {
            config.getUserContext().put(SINK_KEY, sink);
        }
        return config;
    }

    /**
     * Lane events travel on the run event bus under the pseudo run id {@code lane:<id>@<created>}: each creation of a
     * lane numbers its events from 1, under a run id of its own.
     */
    public static String eventRunId(String laneId, long createdAt) {
        return PseudoRunIds.lane(laneId, createdAt);
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
    public Set<String> localLaneIds() {
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
        String[] r = (String[]) lanes.executeOnKey(laneId, new Update(Json.write(op), sink));
        return new Outcome(r[0], r[1] == null ? null : Json.read(r[1], LaneRecord.class), r[2]);
    }

    /** One lane operation, as JSON (never Java serialization). */
    record Op(String op, String runId, String tenant, int cap, Map<String, ?> memory, int quarantineAfter) {
    }

    /** An event an update makes, before it is numbered. */
    private record Draft(String type, Map<String, Object> data) {
    }

    static final class Update implements EntryProcessor<String, String, Object>, HazelcastInstanceAware {
        private final String opJson;
        private transient EventSink sink;
        /** Whether process changed the entry, and its value after (null: removed); for the backup. */
        private transient boolean written;
        private transient String after;

        Update(String opJson, EventSink sink) {
            this.opJson = opJson;
            this.sink = sink;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            if (sink == null) {
                sink = (EventSink) hz.getConfig().getUserContext().get(SINK_KEY);
            }
        }

        @Override
        public Object process(Map.Entry<String, String> entry) {
            Op op = Json.read(opJson, Op.class);
            String before = entry.getValue();
            LaneRecord lane = before == null ? null : Json.read(before, LaneRecord.class);
            long now = System.currentTimeMillis();
            List<Draft> drafts = new ArrayList<>(1);
            String decision;
            LaneRecord next;
            if (op.op().equals("create")) {
                if (lane != null) {
                    return new String[] { "exists", before, before };
                }
                next = new LaneRecord(entry.getKey(), op.tenant(), LaneRecord.Status.ACTIVE, Math.max(1, op.cap()),
                        List.of(), List.of(), Map.of(), 0, now, 0);
                decision = "created";
                drafts.add(new Draft(EventTypes.LANE_CREATED, Map.of("tenant", next.tenant(), "cap", next.cap())));
            } else if (lane == null) {
                return new String[] { "refused:no such lane", null, null };
            } else {
                List<String> running = new ArrayList<>(lane.running());
                List<String> queued = new ArrayList<>(lane.queued());
                Map<String, Object> memory = new LinkedHashMap<>(lane.memory());
                LaneRecord.Status status = lane.status();
                int failures = lane.consecutiveFailures();
                boolean remove = false;
                switch (op.op()) {
                    case "admit" -> {
                        if (running.contains(op.runId()) || queued.contains(op.runId())) {
                            decision = running.contains(op.runId()) ? "running" : "queued";
                        } else if (status != LaneRecord.Status.ACTIVE) {
                            decision = "refused:lane is " + status.name().toLowerCase(Locale.ROOT);
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
                            drafts.add(new Draft(EventTypes.LANE_QUARANTINED, Map.of("consecutiveFailures", failures)));
                        }
                        decision = "";
                        if (held && !queued.isEmpty() && status != LaneRecord.Status.QUARANTINED) {
                            String first = queued.remove(0);
                            running.add(first);
                            decision = first;
                        }
                    }
                    case "promote" -> {
                        decision = "";
                        if (status == LaneRecord.Status.ACTIVE && running.size() < lane.cap() && !queued.isEmpty()) {
                            String first = queued.remove(0);
                            running.add(first);
                            decision = first;
                        }
                    }
                    case "drain" -> {
                        status = LaneRecord.Status.DRAINING;
                        decision = "draining";
                    }
                    case "remove" -> {
                        remove = true;
                        decision = "removed";
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
                next = new LaneRecord(lane.laneId(), lane.tenant(), status, lane.cap(), running, queued, memory,
                        failures, lane.createdAt(), lane.sequence());
                if (remove || status == LaneRecord.Status.DRAINING && running.isEmpty() && queued.isEmpty()) {
                    // a lane cleaned up is gone: its last event says so
                    drafts.add(new Draft(EventTypes.LANE_CLEANED, Map.of("tenant", lane.tenant())));
                    if (!remove && decision.isEmpty()) {
                        decision = "removed";
                    }
                    next = null;
                }
            }
            long sequence = lane == null ? 0 : lane.sequence();
            List<RunEvent> events = new ArrayList<>(drafts.size());
            LaneRecord subject = lane != null ? lane : next;
            for (Draft d : drafts) {
                sequence++;
                events.add(new RunEvent(d.type(), eventRunId(entry.getKey(), subject.createdAt()), sequence, now,
                        null, subject.tenant(), entry.getKey(), null, null, d.data()));
            }
            if (next != null && sequence != next.sequence()) {
                next = new LaneRecord(next.laneId(), next.tenant(), next.status(), next.cap(), next.running(),
                        next.queued(), next.memory(), next.consecutiveFailures(), next.createdAt(), sequence);
            }
            String json = next == null ? null : Json.write(next);
            if (!Objects.equals(json, before)) {
                entry.setValue(json);
                written = true;
                after = json;
            }
            if (sink != null && !events.isEmpty()) {
                sink.publish(events);
            }
            return new String[] { decision, json, before };
        }

        /** Backups get the lane as the primary left it: applying the operation again would publish twice. */
        @Override
        public EntryProcessor<String, String, Object> getBackupProcessor() {
            return written ? new SetLane(after) : null;
        }

        static final class Serializer implements CompactSerializer<Update> {
            @Override
            public Update read(CompactReader reader) {
                return new Update(reader.readString("op"), null);
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

    /** Writes the lane the primary computed onto a backup (null removes it). */
    static final class SetLane implements EntryProcessor<String, String, Object> {
        private final String json;

        SetLane(String json) {
            this.json = json;
        }

        @Override
        public Object process(Map.Entry<String, String> entry) {
            entry.setValue(json);
            return null;
        }

        @Override
        public EntryProcessor<String, String, Object> getBackupProcessor() {
            return null;
        }

        static final class Serializer implements CompactSerializer<SetLane> {
            @Override
            public SetLane read(CompactReader reader) {
                return new SetLane(reader.readString("json"));
            }

            @Override
            public void write(CompactWriter writer, SetLane s) {
                writer.writeString("json", s.json);
            }

            @Override
            public String getTypeName() {
                return "caravan.LaneSet";
            }

            @Override
            public Class<SetLane> getCompactClass() {
                return SetLane.class;
            }
        }
    }
}
