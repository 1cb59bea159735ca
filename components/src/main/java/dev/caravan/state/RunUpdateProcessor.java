package dev.caravan.state;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.caravan.event.EventSink;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Applies {@link Mutation}s (one, or several in order) to a run record on the partition that owns it, numbers the
 * events they produce and hands them to the {@link EventSink} there, so a run's events leave in sequence order.
 * Backups receive the resulting record, never a second application (which would publish events twice).
 *
 * <p>Records are stored as (immutable) objects. When the caller is on the owning member the processor is not
 * serialized at all, and the resulting record comes back through {@link #record()} without a copy; a processor that
 * travelled to another member returns it in the response instead.
 */
final class RunUpdateProcessor implements EntryProcessor<String, RunRecord, Object>, HazelcastInstanceAware {

    static final String SINK_KEY = "caravan.eventSink";
    /** The member's {@link EventRelay}, in its user context, when it relays events from the runs' outboxes. */
    static final String RELAY_KEY = "caravan.eventRelay";

    private final String mutationsJson;
    /** The member applying the mutations: owners are members. */
    private final String caller;
    /** How long a finished run is kept (0: for ever): its entry expires then. */
    private final long retentionMillis;
    private transient List<Mutation> mutations;
    private transient EventSink sink;
    /** The member's relay, or null: then records keep no outbox. */
    private transient EventRelay relay;
    private transient HazelcastInstance hazelcast;
    /** Whether finished runs are packed in their own map on this member (no database): {@link FinishedRuns}. */
    private transient boolean packFinished;
    /** Set only on the instance the caller made: it never survives serialization. */
    private transient boolean local;
    private transient RunRecord written;
    private transient RunRecord record;
    private transient Mutation.Result result;

    RunUpdateProcessor(List<Mutation> mutations, EventSink sink, String caller, long retentionMillis,
            HazelcastInstance hazelcast, boolean packFinished, EventRelay relay) {
        this.mutations = List.copyOf(mutations);
        this.relay = relay;
        this.mutationsJson = null;
        this.caller = caller;
        this.retentionMillis = retentionMillis;
        this.sink = sink;
        this.hazelcast = hazelcast;
        this.packFinished = packFinished;
        this.local = true;
    }

    private RunUpdateProcessor(String mutationsJson, String caller, long retentionMillis) {
        this.mutationsJson = mutationsJson;
        this.caller = caller;
        this.retentionMillis = retentionMillis;
    }

    private List<Mutation> mutations() {
        if (mutations == null) {
            mutations = List.of(Json.read(mutationsJson, Mutation[].class));
        }
        return mutations;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
        hazelcast = hz;
        if (sink == null) {
            sink = (EventSink) hz.getConfig().getUserContext().get(SINK_KEY);
            relay = (EventRelay) hz.getConfig().getUserContext().get(RELAY_KEY);
            packFinished = FinishedRuns.packed(hz);
        }
    }

    @Override
    public Object process(Map.Entry<String, RunRecord> entry) {
        RunRecord current = entry.getValue();
        // a finished run that left the run map is still the run: created again it exists, changed it comes back
        boolean restored = false;
        if (current == null && packFinished) {
            current = FinishedRuns.restore(hazelcast, entry.getKey());
            restored = current != null;
        }
        long now = System.currentTimeMillis();
        RunRecord after = current;
        String rejection = null;
        List<RunEvent> events = new ArrayList<>(4);
        for (Mutation m : mutations()) {
            // one after the other, as separate updates would; nothing after a refused one applies
            Mutation.Applied applied = applyOne(after, m, now);
            if (applied.rejection() != null) {
                rejection = applied.rejection();
                break;
            }
            RunRecord next = applied.record();
            long seq = next.sequence();
            for (Mutation.EventDraft d : applied.events()) {
                seq++;
                events.add(new RunEvent(d.type(), next.runId(), seq, now, next.workflow(), next.tenant(),
                        next.lane(), d.node(), next.parentRunId(), d.data(), next.correlationId(), next.traceId()));
            }
            after = seq != next.sequence() ? next.withSequence(seq) : next;
        }
        if (relay != null && !events.isEmpty()) {
            // the events are durable with the change that made them: in the same record, hence the same commit
            after = after.withOutbox(withEvents(after.outbox(), relay.confirmedUpTo(entry.getKey()), events));
        }
        if (after != current || !events.isEmpty()) {
            // (when nothing changed: no write, no backup, no write-through)
            written = after;
            // finished runs leave the run map at the engine's next sweep: for the database, or packed in memory
            TimedEntries.set(entry, after, ttlOf(after));
            if (restored) {
                // the run map holds it again; the sweep packs it again once it has lingered
                FinishedRuns.forget(hazelcast, entry.getKey());
            }
            if (sink != null && !events.isEmpty()) {
                sink.publish(events);
            }
        }
        Mutation.Result outcome = new Mutation.Result(rejection == null, rejection,
                after == null ? null : after.status(), null);
        if (local) {
            record = after;
            result = new Mutation.Result(outcome.accepted(), outcome.reason(), outcome.status(), after);
            return null;
        }
        return new String[] { encode(outcome), after == null ? null : Json.write(after) };
    }

    /** The outbox without the events confirmed up to {@code confirmed}, then {@code events}. */
    static List<RunEvent> withEvents(List<RunEvent> outbox, long confirmed, List<RunEvent> events) {
        List<RunEvent> out = new ArrayList<>(outbox.size() + events.size());
        for (RunEvent e : outbox) {
            if (e.sequence() > confirmed) {
                out.add(e);
            }
        }
        out.addAll(events);
        return Collections.unmodifiableList(out);
    }

    /** How long the entry of a record lives from now: a little while once the run finished, otherwise 0 (for ever). */
    private long ttlOf(RunRecord r) {
        return FinishedRuns.ttlInRunMap(r, retentionMillis, packFinished);
    }

    /** One mutation, after the ownership rules: a deposed owner records nothing more, a live owner keeps its run. */
    private Mutation.Applied applyOne(RunRecord current, Mutation m, long now) {
        String owner = current == null ? null : current.owner();
        boolean ownedElsewhere = current != null && current.status() == RunStatus.RUNNING && owner != null
                                 && !owner.equals(caller);
        boolean ownerAlive = ownedElsewhere && alive(owner);
        if (ownedElsewhere && (m.ownership() == Mutation.Ownership.OWNER_ONLY
                               || m instanceof Mutation.ClaimRun && ownerAlive)) {
            return Mutation.Applied.rejected(current, Mutation.NOT_OWNER + owner);
        }
        if (m instanceof Mutation.ClaimRun && current != null && caller.equals(owner)) {
            return new Mutation.Applied(current, List.of(), null);
        }
        Mutation.Applied applied = m.apply(current, now);
        if (applied.rejection() != null) {
            return applied;
        }
        RunRecord next = applied.record();
        // a running run is owned by the member executing it: a claim makes the caller the owner unless a live
        // member holds the run (which is then asked to go round again); a run that is not running has none
        String nextOwner = next.status() != RunStatus.RUNNING ? null
                : m.ownership() == Mutation.Ownership.CLAIMS && !ownerAlive ? caller
                : next.owner();
        if (!Objects.equals(nextOwner, next.owner())) {
            next = next.withOwner(nextOwner, next.takeovers());
            return new Mutation.Applied(next, applied.events(), null);
        }
        return applied;
    }

    /** Whether a member is in the cluster: a member's membership is its lease on the runs it owns. */
    private boolean alive(String member) {
        if (member == null || hazelcast == null) {
            return false;
        }
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getUuid().toString().equals(member)) {
                return true;
            }
        }
        return false;
    }

    /** The outcome, after {@code executeOnKey} returned its response. */
    Mutation.Result result(Object response) {
        if (result != null) {
            return result;
        }
        String[] r = (String[]) response;
        record = r[1] == null ? null : Frozen.record(Json.read(r[1], RunRecord.class));
        Mutation.Result decoded = decode(r[0]);
        return new Mutation.Result(decoded.accepted(), decoded.reason(), decoded.status(), record);
    }

    /** Whether the update wrote the record (as far as this caller can tell: a processor that travelled may have). */
    boolean wrote() {
        return !local || written != null;
    }

    /** The record after the mutation (or as it was, when rejected); valid after {@link #result}. */
    RunRecord record() {
        return record;
    }

    @Override
    public EntryProcessor<String, RunRecord, Object> getBackupProcessor() {
        return written == null ? null : new SetRecord(written, ttlOf(written));
    }

    private static String encode(Mutation.Result r) {
        return (r.accepted() ? "+" : "-") + (r.status() == null ? "" : r.status().name()) + "|"
               + (r.reason() == null ? "" : r.reason());
    }

    private static Mutation.Result decode(String s) {
        int bar = s.indexOf('|');
        String status = s.substring(1, bar);
        String reason = s.substring(bar + 1);
        return new Mutation.Result(s.charAt(0) == '+', reason.isEmpty() ? null : reason,
                status.isEmpty() ? null : RunStatus.valueOf(status), null);
    }

    /** Writes the record the primary computed onto a backup. */
    static final class SetRecord implements EntryProcessor<String, RunRecord, Object> {
        private final RunRecord record;
        /** The entry's time to live in millis, as on the primary; 0 for ever. */
        private final long ttlMillis;

        SetRecord(RunRecord record, long ttlMillis) {
            this.record = record;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public Object process(Map.Entry<String, RunRecord> entry) {
            TimedEntries.set(entry, record, ttlMillis);
            return null;
        }

        @Override
        public EntryProcessor<String, RunRecord, Object> getBackupProcessor() {
            return null;
        }
    }

    /**
     * Drops the events up to a sequence number from a record's outbox: the relay published and logged them.
     * Deterministic, so backups apply it too.
     */
    static final class DropConfirmed implements EntryProcessor<String, RunRecord, Object> {
        private final long upTo;
        private final long retentionMillis;
        private final boolean packFinished;

        DropConfirmed(long upTo, long retentionMillis, boolean packFinished) {
            this.upTo = upTo;
            this.retentionMillis = retentionMillis;
            this.packFinished = packFinished;
        }

        @Override
        public Object process(Map.Entry<String, RunRecord> entry) {
            RunRecord r = entry.getValue();
            if (r == null || r.outbox().isEmpty() || r.outbox().get(0).sequence() > upTo) {
                return null;
            }
            RunRecord after = r.withOutbox(withEvents(r.outbox(), upTo, List.of()));
            TimedEntries.set(entry, after, FinishedRuns.ttlInRunMap(after, retentionMillis, packFinished));
            return null;
        }

        @Override
        public EntryProcessor<String, RunRecord, Object> getBackupProcessor() {
            return this;
        }

        static final class Serializer implements CompactSerializer<DropConfirmed> {
            @Override
            public DropConfirmed read(CompactReader reader) {
                return new DropConfirmed(reader.readInt64("upTo"), reader.readInt64("retentionMillis"),
                        reader.readBoolean("packFinished"));
            }

            @Override
            public void write(CompactWriter writer, DropConfirmed p) {
                writer.writeInt64("upTo", p.upTo);
                writer.writeInt64("retentionMillis", p.retentionMillis);
                writer.writeBoolean("packFinished", p.packFinished);
            }

            @Override
            public String getTypeName() {
                return "caravan.DropConfirmedEvents";
            }

            @Override
            public Class<DropConfirmed> getCompactClass() {
                return DropConfirmed.class;
            }
        }
    }

    /** Reads a record; on the owning member without copying it. */
    static final class ReadRecord implements EntryProcessor<String, RunRecord, RunRecord>, ReadOnly {
        private transient boolean local;
        private transient RunRecord seen;

        static ReadRecord local() {
            ReadRecord r = new ReadRecord();
            r.local = true;
            return r;
        }

        @Override
        public RunRecord process(Map.Entry<String, RunRecord> entry) {
            if (local) {
                seen = entry.getValue();
                return null;
            }
            return entry.getValue();
        }

        RunRecord seen(RunRecord response) {
            return response != null ? response : seen;
        }

        @Override
        public EntryProcessor<String, RunRecord, RunRecord> getBackupProcessor() {
            return null;
        }
    }

    static final class Serializer implements CompactSerializer<RunUpdateProcessor> {
        @Override
        public RunUpdateProcessor read(CompactReader reader) {
            return new RunUpdateProcessor(reader.readString("mutations"), reader.readString("caller"),
                    reader.readInt64("retentionMillis"));
        }

        @Override
        public void write(CompactWriter writer, RunUpdateProcessor p) {
            writer.writeString("mutations", p.mutationsJson != null ? p.mutationsJson
                    : Json.write(p.mutations.toArray(new Mutation[0])));
            writer.writeString("caller", p.caller);
            writer.writeInt64("retentionMillis", p.retentionMillis);
        }

        @Override
        public String getTypeName() {
            return "caravan.RunUpdate";
        }

        @Override
        public Class<RunUpdateProcessor> getCompactClass() {
            return RunUpdateProcessor.class;
        }
    }

    static final class SetRecordSerializer implements CompactSerializer<SetRecord> {
        @Override
        public SetRecord read(CompactReader reader) {
            return new SetRecord(Frozen.record(Json.read(reader.readString("record"), RunRecord.class)),
                    reader.readInt64("ttlMillis"));
        }

        @Override
        public void write(CompactWriter writer, SetRecord p) {
            writer.writeString("record", Json.write(p.record));
            writer.writeInt64("ttlMillis", p.ttlMillis);
        }

        @Override
        public String getTypeName() {
            return "caravan.SetRecord";
        }

        @Override
        public Class<SetRecord> getCompactClass() {
            return SetRecord.class;
        }
    }

    static final class ReadRecordSerializer implements CompactSerializer<ReadRecord> {
        @Override
        public ReadRecord read(CompactReader reader) {
            return new ReadRecord();
        }

        @Override
        public void write(CompactWriter writer, ReadRecord p) {
        }

        @Override
        public String getTypeName() {
            return "caravan.ReadRecord";
        }

        @Override
        public Class<ReadRecord> getCompactClass() {
            return ReadRecord.class;
        }
    }

    /**
     * Run records travel (backups, migrations, remote reads) as their JSON. A stream serializer, not a compact one:
     * Hazelcast evaluates queries on compact values through their serialized form, which would write the JSON of
     * every record a list of runs looks at; values of other serializers it reads as the objects held.
     */
    static final class RecordSerializer implements StreamSerializer<RunRecord> {

        /** Fixed: every member of a cluster must agree on it. */
        static final int TYPE_ID = 7301;

        @Override
        public void write(ObjectDataOutput out, RunRecord r) throws IOException {
            out.writeString(Json.write(r));
        }

        @Override
        public RunRecord read(ObjectDataInput in) throws IOException {
            return Frozen.record(Json.read(in.readString(), RunRecord.class));
        }

        @Override
        public int getTypeId() {
            return TYPE_ID;
        }
    }
}
