package dev.caravan.state;

import com.hazelcast.map.MapStore;
import dev.caravan.event.RunEvent;
import dev.caravan.event.EventSink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The write-through store of a map's records on a durable member, and the event sink its updates publish to: events
 * leave only once the database has the record they describe. An update's processor hands its events here; Hazelcast
 * stores (or deletes) the record on the same partition thread right after, and the events go to the real sink once
 * that row is committed. A process killed in between has published nothing a restart would not find recorded, so
 * the events a resumed run (or a lane) publishes never reuse a sequence number a reader has seen. When the row cannot
 * be written, the update fails and its events are dropped with it. Used for run records (events keyed by run id) and
 * lanes (keyed by lane id).
 */
final class CommittedEvents<V> implements EventSink, MapStore<String, V> {

    private final MapStore<String, V> records;
    private final EventSink sink;
    /** The record an event belongs to: the map key of the update that made it. */
    private final Function<RunEvent, String> keyOf;
    /** Events of a record waiting for it to be stored; only the record's partition thread touches its entry. */
    private final Map<String, List<RunEvent>> pending = new ConcurrentHashMap<>();

    CommittedEvents(MapStore<String, V> records, EventSink sink, Function<RunEvent, String> keyOf) {
        this.records = records;
        this.sink = sink;
        this.keyOf = keyOf;
    }

    @Override
    public void publish(List<RunEvent> events) {
        // the events of one update belong to one record
        pending.merge(keyOf.apply(events.get(0)), List.copyOf(events), (held, more) -> {
            List<RunEvent> all = new ArrayList<>(held);
            all.addAll(more);
            return all;
        });
    }

    @Override
    public void store(String key, V record) {
        try {
            records.store(key, record);
        } catch (RuntimeException notStored) {
            pending.remove(key);
            throw notStored;
        }
        release(key);
    }

    @Override
    public void storeAll(Map<String, V> map) {
        map.forEach(this::store);
    }

    /** A record removed by its update (a lane cleaned up) publishes that update's events once the row is gone. */
    @Override
    public void delete(String key) {
        try {
            records.delete(key);
        } catch (RuntimeException notDeleted) {
            pending.remove(key);
            throw notDeleted;
        }
        release(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) {
        // the store takes the keys it deleted out of the collection
        List<String> all = List.copyOf(keys);
        records.deleteAll(keys);
        all.forEach(this::release);
    }

    private void release(String key) {
        List<RunEvent> events = pending.remove(key);
        if (events != null) {
            sink.publish(events);
        }
    }

    @Override
    public V load(String key) {
        return records.load(key);
    }

    @Override
    public Map<String, V> loadAll(Collection<String> keys) {
        return records.loadAll(keys);
    }

    @Override
    public Iterable<String> loadAllKeys() {
        return records.loadAllKeys();
    }
}
