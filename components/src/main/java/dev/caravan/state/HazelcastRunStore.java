package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.config.EntryListenerConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.MetadataPolicy;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.query.PagingPredicate;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import dev.caravan.event.EventSink;
import dev.caravan.event.RunEvent;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Run records in a Hazelcast {@link IMap}, changed only by entry processors. Records are held as immutable objects
 * ({@code OBJECT} in-memory format), so applying a mutation or reading a record on the owning member costs no
 * serialization; they travel as JSON between members.
 */
public final class HazelcastRunStore implements RunStore {

    public static final String MAP_NAME = "caravan.runs";

    private final HazelcastInstance hazelcast;
    private volatile MemberId memberId;
    private final IMap<String, RunRecord> runs;
    private final EventSink sink;
    /** How long a finished run is kept, in millis; 0 for ever. */
    private final long retentionMillis;
    private final ValueStore values;

    public HazelcastRunStore(HazelcastInstance hazelcast, EventSink sink) {
        this(hazelcast, sink, null);
    }

    /** @param retention how long a finished run is kept; null keeps it until removed */
    public HazelcastRunStore(HazelcastInstance hazelcast, EventSink sink, Duration retention) {
        this(hazelcast, sink, retention, new ValueStore(hazelcast, ValueStore.DEFAULT_INLINE_BYTES, retention));
    }

    /**
     * @param sink   where events go on a member whose configuration names no sink ({@link #configure} does)
     * @param values where values too large to hold inline go; records hold references to them
     */
    public HazelcastRunStore(HazelcastInstance hazelcast, EventSink sink, Duration retention,
            ValueStore values) {
        this.hazelcast = hazelcast;
        this.runs = hazelcast.getMap(MAP_NAME);
        // the member's own sink when it has one (a durable member's publishes once the record is stored)
        Object configured = hazelcast.getConfig().getUserContext().get(RunUpdateProcessor.SINK_KEY);
        this.sink = configured instanceof EventSink s ? s : Objects.requireNonNull(sink, "sink");
        this.retentionMillis = retention == null ? 0 : Math.max(1, retention.toMillis());
        this.values = Objects.requireNonNull(values, "values");
    }

    /**
     * Registers what the store needs in a member's configuration: the record map's format, the serializers of the
     * record and its entry processors, and the event sink that processors running on that member publish to.
     */
    public static Config configure(Config config, EventSink sink) {
        config.getSerializationConfig().getCompactSerializationConfig()
                .addSerializer(new RunUpdateProcessor.Serializer())
                .addSerializer(new RunUpdateProcessor.SetRecordSerializer())
                .addSerializer(new RunUpdateProcessor.ReadRecordSerializer());
        config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(RunRecord.class)
                .setImplementation(new RunUpdateProcessor.RecordSerializer()));
        config.getMapConfig(MAP_NAME)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setMetadataPolicy(MetadataPolicy.OFF);
        config.getUserContext().put(RunUpdateProcessor.SINK_KEY, sink);
        ValueStore.configure(config);
        // lanes live beside the runs they admit, and their events go where the runs' go
        return LaneStore.configure(config, sink);
    }

    /**
     * Makes runs, lanes and stored values durable: write-through to a JDBC database
     * ({@code jdbc:h2:file:./.caravan/db} embedded, PostgreSQL in production), loaded in full when the cluster first
     * uses a map (lazily: the engine's start-up reads, which list paused runs for their timers, wait for it; eager
     * loading cost the CLI about 2 s per command for the same result). Finished runs and values that expire are
     * deleted from the database by the member that owns them.
     *
     * @param retention the run retention, or null when runs are kept forever: a value loaded from the database
     *                  expires after it unless a run still references it
     */
    public static Config persist(Config config, DataSource dataSource, Duration retention) {
        JdbcMapStore<RunRecord> runStore = JdbcMapStore.runs(dataSource);
        EventSink sink = (EventSink) config.getUserContext().get(RunUpdateProcessor.SINK_KEY);
        if (sink == null) {
            throw new IllegalStateException("configure(config, sink) comes before persist(config, ...)");
        }
        // events leave once the database has the record they describe
        CommittedEvents<RunRecord> committed = new CommittedEvents<>(runStore, sink, RunEvent::runId);
        config.getUserContext().put(RunUpdateProcessor.SINK_KEY, committed);
        // and a lane's once the database has the lane (or no longer has it, after a cleanup)
        CommittedEvents<String> committedLanes = new CommittedEvents<>(JdbcMapStore.json(dataSource, "caravan_lanes"),
                (EventSink) config.getUserContext().getOrDefault(LaneStore.SINK_KEY, sink), RunEvent::lane);
        config.getUserContext().put(LaneStore.SINK_KEY, committedLanes);
        config.getMapConfig(MAP_NAME).getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(committed)
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.LAZY);
        config.getMapConfig(LaneStore.MAP_NAME).getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(committedLanes)
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.LAZY);
        config.getMapConfig(MAP_NAME).addEntryListenerConfig(new EntryListenerConfig(
                (EntryExpiredListener<String, RunRecord>) e -> runStore.delete(e.getKey()),
                true, false));
        JdbcMapStore<String> valueStore = JdbcMapStore.values(dataSource);
        MapConfig valuesConfig = config.getMapConfig(ValueStore.MAP_NAME);
        valuesConfig.getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(valueStore)
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.LAZY);
        valuesConfig.addEntryListenerConfig(new EntryListenerConfig(
                (EntryExpiredListener<String, String>) e -> valueStore.delete(e.getKey()),
                true, false));
        if (retention != null) {
            // loading does not restore a value's own expiry: it gets a whole period, refreshed while referenced
            valuesConfig.setTimeToLiveSeconds((int) Math.min(Integer.MAX_VALUE, retention.toSeconds() + 1));
        }
        return config;
    }

    @Override
    public RunRecord get(String runId) {
        RunUpdateProcessor.ReadRecord read = RunUpdateProcessor.ReadRecord.local();
        return read.seen(runs.executeOnKey(runId, read));
    }

    @Override
    public Mutation.Result apply(String runId, List<Mutation> mutations) {
        // large values are stored once, before the update: every version of the record holds only their reference
        List<Mutation> referencing = new ArrayList<>(mutations.size());
        for (Mutation m : mutations) {
            referencing.add(values.referencing(m));
        }
        RunUpdateProcessor update = new RunUpdateProcessor(referencing, sink, memberId(), retentionMillis, hazelcast);
        return update.result(runs.executeOnKey(runId, update));
    }

    /**
     * Makes every value a run record references live another retention period: run by one member several times a
     * period, so a value outlives the runs referencing it, paused ones included. Returns how many were refreshed.
     */
    public int refreshReferencedValues() {
        Set<String> hashes = new HashSet<>(ValueStore.ReferencedValues.flatten(
                runs.executeOnEntries(new ValueStore.ReferencedValues()).values()));
        values.refresh(hashes);
        return hashes.size();
    }

    @Override
    public int removeFinishedBefore(long updatedBefore) {
        Set<String> keys = runs.localKeySet(e -> e.getValue().status().isTerminal()
                                                            && e.getValue().updatedAt() < updatedBefore);
        // delete, not evict: the database row goes in the same call, so no read can load the run back
        keys.forEach(runs::delete);
        return keys.size();
    }

    @Override
    public String memberId() {
        // every mutation names its caller: keep the text of the id, which changes only if the member rejoins
        UUID uuid = hazelcast.getCluster().getLocalMember().getUuid();
        MemberId known = memberId;
        if (known == null || known.uuid() != uuid) {
            known = new MemberId(uuid, uuid.toString());
            memberId = known;
        }
        return known.text();
    }

    private record MemberId(UUID uuid, String text) {
    }

    @Override
    public List<RunRecord> listLocal(List<RunStatus> statuses) {
        // evaluated on this member's own partitions, against the stored objects: nothing is copied
        Set<String> keys = runs.localKeySet(e -> statuses.contains(e.getValue().status()));
        List<RunRecord> out = new ArrayList<>(keys.size());
        for (String key : keys) {
            RunRecord r = get(key);
            if (r != null && statuses.contains(r.status())) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public RunPage page(RunQuery query) {
        // one more than the page holds: whether there is a next page
        PagingPredicate<String, RunRecord> paging = Predicates.pagingPredicate(new Selects(query), new NewestFirst(),
                query.limit() + 1);
        List<RunRecord> found = new ArrayList<>(runs.values(paging));
        if (found.size() <= query.limit()) {
            return new RunPage(found, null);
        }
        List<RunRecord> page = found.subList(0, query.limit());
        return new RunPage(page, RunPage.Cursor.of(page.get(page.size() - 1)).toString());
    }

    /**
     * Whether a run is one the query selects, read from the record as held: Hazelcast reads query attributes by
     * reflection on getters and fields, which records have neither of, and attributes declared on the map (with
     * extractors) were measured to cost the run map's updates. Not indexed: on a map of {@code OBJECT} format an index
     * makes Hazelcast clone the record (a JSON round trip) on every update to tell old from new index values, which
     * doubled the CPU time per node. Evaluated on the members that hold the runs; only the page travels.
     */
    static final class Selects implements Predicate<String, RunRecord> {

        private static final long serialVersionUID = 1L;

        private final String tenant;
        private final String workflow;
        private final Set<RunStatus> statuses;
        private final RunPage.Cursor after;

        Selects(RunQuery query) {
            this.tenant = query.tenant();
            this.workflow = query.workflow();
            this.statuses = query.statuses().isEmpty() ? null : EnumSet.copyOf(query.statuses());
            this.after = query.after() == null ? null : RunPage.Cursor.parse(query.after());
        }

        @Override
        public boolean apply(Map.Entry<String, RunRecord> entry) {
            RunRecord r = entry.getValue();
            return r != null
                   && (tenant == null || tenant.equals(r.tenant()))
                   && (workflow == null || workflow.equals(r.workflow()))
                   && (statuses == null || statuses.contains(r.status()))
                   && (after == null || r.createdAt() < after.createdAt()
                       || r.createdAt() == after.createdAt() && r.runId().compareTo(after.runId()) < 0);
        }
    }

    /** Newest first, and among runs created in the same millisecond by id, as the page cursor orders them. */
    static final class NewestFirst implements Comparator<Map.Entry<String, RunRecord>>, Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Map.Entry<String, RunRecord> a, Map.Entry<String, RunRecord> b) {
            int byTime = Long.compare(b.getValue().createdAt(), a.getValue().createdAt());
            return byTime != 0 ? byTime : b.getKey().compareTo(a.getKey());
        }
    }
}
