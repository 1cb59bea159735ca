package dev.caravan.state;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.caravan.event.RunEvent;
import dev.caravan.spi.EventSink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies one {@link Mutation} to a run record on the partition that owns it, numbers the events it produces and
 * hands them to the {@link EventSink} there, so a run's events leave in sequence order. Backups receive the
 * resulting record, never a second application (which would publish events twice).
 */
final class RunUpdateProcessor implements EntryProcessor<String, HazelcastJsonValue, String>, HazelcastInstanceAware {

    static final String SINK_KEY = "caravan.eventSink";

    private final String mutationJson;
    private transient Mutation mutation;
    private transient EventSink sink;
    private transient String written;

    RunUpdateProcessor(Mutation mutation, EventSink sink) {
        this.mutation = mutation;
        this.mutationJson = null;
        this.sink = sink;
    }

    private RunUpdateProcessor(String mutationJson) {
        this.mutationJson = mutationJson;
    }

    private Mutation mutation() {
        if (mutation == null) {
            mutation = Json.read(mutationJson, Mutation.class);
        }
        return mutation;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
        if (sink == null) {
            sink = (EventSink) hz.getConfig().getUserContext().get(SINK_KEY);
        }
    }

    @Override
    public String process(Map.Entry<String, HazelcastJsonValue> entry) {
        HazelcastJsonValue value = entry.getValue();
        RunRecord current = value == null ? null : Json.read(value.getValue(), RunRecord.class);
        long now = System.currentTimeMillis();
        Mutation.Applied applied = mutation().apply(current, now);
        if (applied.rejection() != null) {
            return encode(new Mutation.Result(false, applied.rejection(),
                    applied.record() == null ? null : applied.record().status()));
        }
        RunRecord next = applied.record();
        List<RunEvent> events = new ArrayList<>(applied.events().size());
        long seq = next.sequence();
        for (Mutation.EventDraft d : applied.events()) {
            seq++;
            events.add(new RunEvent(d.type(), next.runId(), seq, now, next.workflow(), next.tenant(), next.lane(),
                    d.node(), next.parentRunId(), d.data()));
        }
        if (seq != next.sequence()) {
            next = new RunRecord(next.runId(), next.workflow(), next.workflowHash(), next.tenant(), next.lane(),
                    next.status(), next.input(), next.output(), next.error(), next.errorNode(), next.createdAt(),
                    next.updatedAt(), seq, next.parentRunId(), next.parentNodeKey(), next.costMicros(), next.tokens(),
                    next.nodes());
        }
        written = Json.write(next);
        entry.setValue(new HazelcastJsonValue(written));
        if (sink != null && !events.isEmpty()) {
            sink.publish(events);
        }
        return encode(new Mutation.Result(true, null, next.status()));
    }

    @Override
    public EntryProcessor<String, HazelcastJsonValue, String> getBackupProcessor() {
        return written == null ? null : new SetRecord(written);
    }

    // A tiny text encoding: the result crosses members in a cluster and must not need Java serialization.
    private static String encode(Mutation.Result r) {
        return (r.accepted() ? "+" : "-") + (r.status() == null ? "" : r.status().name()) + "|"
                + (r.reason() == null ? "" : r.reason());
    }

    static Mutation.Result decode(String s) {
        int bar = s.indexOf('|');
        String status = s.substring(1, bar);
        String reason = s.substring(bar + 1);
        return new Mutation.Result(s.charAt(0) == '+', reason.isEmpty() ? null : reason,
                status.isEmpty() ? null : RunStatus.valueOf(status));
    }

    /** Writes the record the primary computed onto a backup. */
    static final class SetRecord implements EntryProcessor<String, HazelcastJsonValue, String> {
        private final String json;

        SetRecord(String json) {
            this.json = json;
        }

        @Override
        public String process(Map.Entry<String, HazelcastJsonValue> entry) {
            entry.setValue(new HazelcastJsonValue(json));
            return null;
        }

        @Override
        public EntryProcessor<String, HazelcastJsonValue, String> getBackupProcessor() {
            return null;
        }
    }

    static final class Serializer implements CompactSerializer<RunUpdateProcessor> {
        @Override
        public RunUpdateProcessor read(CompactReader reader) {
            return new RunUpdateProcessor(reader.readString("mutation"));
        }

        @Override
        public void write(CompactWriter writer, RunUpdateProcessor p) {
            writer.writeString("mutation", p.mutationJson != null ? p.mutationJson : Json.write(p.mutation));
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
            return new SetRecord(reader.readString("record"));
        }

        @Override
        public void write(CompactWriter writer, SetRecord p) {
            writer.writeString("record", p.json);
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
}
