package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The events of each run that the relay published, by run id ({@value #MAP_NAME}): what the API's event pages and
 * live streams read and resume from, without scanning Kafka. Appended by the relay's confirmations, in sequence order
 * and without duplicates (a confirmation repeated after a takeover appends nothing). With a database the map is
 * written through to the table {@value EventRows#TABLE}, a row per event ({@link EventRows}), whose rows the sweep
 * deletes with the runs; in memory an entry lives the run retention, and a member holds the logs of at most
 * {@value #MAX_RUNS_IN_MEMORY} runs (the least recently used go first).
 */
final class EventLog {

    static final String MAP_NAME = "caravan.runEvents";
    static final int MAX_RUNS_IN_MEMORY = 100_000;
    /** With a database, a log leaves memory after this long unread (a read loads it back). */
    private static final int MAX_IDLE_SECONDS_WITH_DATABASE = 60;

    private EventLog() {
    }

    /** The events of one run, oldest first, and when the last was appended. */
    record Entries(List<RunEvent> events, long updatedAt) {
        Entries {
            events = events == null ? List.of() : Collections.unmodifiableList(events);
        }

        long lastSequence() {
            return events.isEmpty() ? 0 : events.get(events.size() - 1).sequence();
        }
    }

    static void configure(Config config, long retentionMillis) {
        MapConfig map = config.getMapConfig(MAP_NAME)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setBackupCount(config.getMapConfig(HazelcastRunStore.MAP_NAME).getBackupCount())
                .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
                        .setMaxSizePolicy(MaxSizePolicy.PER_NODE).setSize(MAX_RUNS_IN_MEMORY));
        if (retentionMillis > 0) {
            map.setTimeToLiveSeconds((int) Math.min(Integer.MAX_VALUE, retentionMillis / 1000 + 1));
        }
        config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(Entries.class)
                .setImplementation(new EntriesSerializer()));
        config.getSerializationConfig().getCompactSerializationConfig().addSerializer(new Append.Serializer());
    }

    /** Writes the logs through to the database, one row per event; they leave memory once idle. */
    static EventRows persist(Config config, DataSource dataSource) {
        EventRows table = new EventRows(dataSource, JdbcMapStore.RUNS_TABLE);
        config.getMapConfig(MAP_NAME)
                .setMaxIdleSeconds(MAX_IDLE_SECONDS_WITH_DATABASE)
                .getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(table)
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.LAZY);
        return table;
    }

    /** The events of {@code log} and then {@code outbox} after {@code afterSequence}, each once, at most {@code limit}. */
    static List<RunEvent> merge(Entries log, List<RunEvent> outbox, long afterSequence, int limit) {
        List<RunEvent> out = new ArrayList<>(Math.min(limit, 64));
        long last = afterSequence;
        for (List<RunEvent> part : List.of(log == null ? List.<RunEvent>of() : log.events(), outbox)) {
            for (RunEvent e : part) {
                if (out.size() == limit) {
                    return out;
                }
                // an event confirmed a moment ago is in both; a sequence only ever grows
                if (e.sequence() > last) {
                    out.add(e);
                    last = e.sequence();
                }
            }
        }
        return out;
    }

    /**
     * Appends the events the log does not hold yet. Deterministic, so backups apply it too rather than receive the
     * whole log.
     */
    static final class Append implements EntryProcessor<String, Entries, Long> {
        private final List<RunEvent> events;

        Append(List<RunEvent> events) {
            this.events = List.copyOf(events);
        }

        @Override
        public Long process(Map.Entry<String, Entries> entry) {
            Entries current = entry.getValue();
            long last = current == null ? 0 : current.lastSequence();
            List<RunEvent> all = null;
            for (RunEvent e : events) {
                if (e.sequence() > last) {
                    if (all == null) {
                        all = new ArrayList<>(current == null ? events.size()
                                : current.events().size() + events.size());
                        if (current != null) {
                            all.addAll(current.events());
                        }
                    }
                    all.add(e);
                    last = e.sequence();
                }
            }
            if (all != null) {
                entry.setValue(new Entries(all, System.currentTimeMillis()));
            }
            return last;
        }

        @Override
        public EntryProcessor<String, Entries, Long> getBackupProcessor() {
            return this;
        }

        static final class Serializer implements CompactSerializer<Append> {
            @Override
            public Append read(CompactReader reader) {
                return new Append(List.of(Json.read(reader.readString("events"), RunEvent[].class)));
            }

            @Override
            public void write(CompactWriter writer, Append append) {
                writer.writeString("events", Json.write(append.events));
            }

            @Override
            public String getTypeName() {
                return "caravan.AppendEvents";
            }

            @Override
            public Class<Append> getCompactClass() {
                return Append.class;
            }
        }
    }

    /** Logs travel (backups, migrations, remote reads) as their JSON. */
    static final class EntriesSerializer implements StreamSerializer<Entries> {

        /** Fixed: every member of a cluster must agree on it. */
        static final int TYPE_ID = 7303;

        @Override
        public void write(ObjectDataOutput out, Entries entries) throws IOException {
            out.writeString(Json.write(entries));
        }

        @Override
        public Entries read(ObjectDataInput in) throws IOException {
            return Json.read(in.readString(), Entries.class);
        }

        @Override
        public int getTypeId() {
            return TYPE_ID;
        }
    }
}
