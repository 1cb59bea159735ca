package dev.caravan.state;

import com.hazelcast.map.ExtendedMapEntry;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Sets a map entry's value from an entry processor, with a time to live when it has one. */
final class TimedEntries {

    private TimedEntries() {
    }

    /** @param ttlMillis how long the entry lives from now; 0 for ever */
    static <V> void set(Map.Entry<String, V> entry, V value, long ttlMillis) {
        if (ttlMillis > 0 && entry instanceof ExtendedMapEntry<String, V> timed) {
            timed.setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
        } else {
            entry.setValue(value);
        }
    }
}
