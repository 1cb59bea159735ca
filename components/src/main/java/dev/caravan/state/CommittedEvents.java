package dev.caravan.state;

import com.hazelcast.map.MapStore;
import dev.caravan.event.RunEvent;
import dev.caravan.event.EventSink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The write-through store of run records on a durable member, and the event sink its updates publish to: a run's
 * events leave only once the database has the record they describe. An update's processor hands its events here;
 * Hazelcast stores the new record on the same partition thread right after, and the events go to the real sink once
 * that row is committed. A process killed in between has published nothing a restart would not find recorded, so
 * the events a resumed run publishes never reuse a sequence number a reader has seen. When the row cannot be
 * written, the update fails and its events are dropped with it.
 */
final class CommittedEvents implements EventSink, MapStore<String, RunRecord> {

    private final MapStore<String, RunRecord> records;
    private final EventSink sink;
    /** Events of a run waiting for its record to be stored; only the run's partition thread touches its entry. */
    private final Map<String, List<RunEvent>> pending = new ConcurrentHashMap<>();

    CommittedEvents(MapStore<String, RunRecord> records, EventSink sink) {
        this.records = records;
        this.sink = sink;
    }

    @Override
    public void publish(List<RunEvent> events) {
        // the events of one update belong to one run
        pending.merge(events.get(0).runId(), List.copyOf(events), (held, more) -> {
            List<RunEvent> all = new ArrayList<>(held);
            all.addAll(more);
            return all;
        });
    }

    @Override
    public void store(String runId, RunRecord record) {
        try {
            records.store(runId, record);
        } catch (RuntimeException notStored) {
            pending.remove(runId);
            throw notStored;
        }
        List<RunEvent> events = pending.remove(runId);
        if (events != null) {
            sink.publish(events);
        }
    }

    @Override
    public void storeAll(Map<String, RunRecord> map) {
        map.forEach(this::store);
    }

    @Override
    public void delete(String runId) {
        records.delete(runId);
    }

    @Override
    public void deleteAll(Collection<String> runIds) {
        records.deleteAll(runIds);
    }

    @Override
    public RunRecord load(String runId) {
        return records.load(runId);
    }

    @Override
    public Map<String, RunRecord> loadAll(Collection<String> runIds) {
        return records.loadAll(runIds);
    }

    @Override
    public Iterable<String> loadAllKeys() {
        return records.loadAllKeys();
    }
}
