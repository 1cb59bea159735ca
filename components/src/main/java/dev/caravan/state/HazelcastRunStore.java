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
import java.util.Collections;
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
    /** Finished runs packed in memory for the retention, when there is no database: {@link FinishedRuns}. */
    public static final String FINISHED_MAP_NAME = FinishedRuns.MAP_NAME;
    /** The member's run table, in its user context, when runs are persisted. */
    private static final String DATABASE_KEY = "caravan.runTable";
    /** The member's event log table, in its user context, when runs are persisted and relayed. */
    private static final String EVENT_TABLE_KEY = "caravan.eventTable";
    /** Statuses of finished runs, as the run table spells them. */
    private static final List<Object> FINISHED_STATUSES = List.of(RunStatus.COMPLETED.name(), RunStatus.FAILED.name(),
            RunStatus.CANCELLED.name());

    private final HazelcastInstance hazelcast;
    private volatile MemberId memberId;
    private final IMap<String, RunRecord> runs;
    private final EventSink sink;
    /** How long a finished run is kept, in millis; 0 for ever. */
    private final long retentionMillis;
    private final ValueStore values;
    /** Finished runs packed in memory, or null when the database keeps them. */
    private final IMap<String, PackedRun> finished;
    /** The run table when runs are persisted, else null. */
    private final JdbcMapStore<RunRecord> database;
    /** The member's event relay, or null: then runs keep no outbox and no event log. */
    private final EventRelay relay;
    private final IMap<String, EventLog.Entries> log;
    /** The event log's table when runs are persisted and relayed, else null. */
    private final EventRows logTable;

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
        this.finished = FinishedRuns.packed(hazelcast) ? hazelcast.getMap(FINISHED_MAP_NAME) : null;
        @SuppressWarnings("unchecked")
        JdbcMapStore<RunRecord> table = (JdbcMapStore<RunRecord>) hazelcast.getConfig().getUserContext()
                .get(DATABASE_KEY);
        this.database = table;
        this.relay = (EventRelay) hazelcast.getConfig().getUserContext().get(RunUpdateProcessor.RELAY_KEY);
        this.log = relay == null ? null : hazelcast.getMap(EventLog.MAP_NAME);
        this.logTable = (EventRows) hazelcast.getConfig().getUserContext().get(EVENT_TABLE_KEY);
    }

    /**
     * Registers what the store needs in a member's configuration: the record map's format, the serializers of the
     * record and its entry processors, and the event sink that processors running on that member publish to.
     */
    public static Config configure(Config config, EventSink sink) {
        config.getSerializationConfig().getCompactSerializationConfig()
                .addSerializer(new RunUpdateProcessor.Serializer())
                .addSerializer(new RunUpdateProcessor.SetRecordSerializer())
                .addSerializer(new RunUpdateProcessor.ReadRecordSerializer())
                .addSerializer(new RunUpdateProcessor.DropConfirmed.Serializer())
                .addSerializer(new FinishedRuns.LeaveRunMap.Serializer())
                .addSerializer(new FinishedRuns.Lingering.Serializer());
        config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(RunRecord.class)
                .setImplementation(new RunUpdateProcessor.RecordSerializer()));
        config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(PackedRun.class)
                .setImplementation(new PackedRun.Serializer()));
        config.getMapConfig(MAP_NAME)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setMetadataPolicy(MetadataPolicy.OFF);
        config.getUserContext().put(RunUpdateProcessor.SINK_KEY, sink);
        FinishedRuns.configure(config, FinishedRuns.DEFAULT_MAX_PER_MEMBER);
        ValueStore.configure(config);
        // lanes live beside the runs they admit, and their events go where the runs' go
        return LaneStore.configure(config, sink);
    }

    /**
     * Makes the member relay its runs' (and lanes') events through {@code relay}: each update writes its events into the run's
     * outbox with the record, the relay is handed them once stored, and what it confirms moves to the run's event
     * log ({@value EventLog#MAP_NAME}; with a database, the table {@value EventRows#TABLE}). Called after
     * {@link #configure} and before {@link #persist}.
     *
     * @param retention how long a run's event log is kept, as the run; null for ever
     */
    public static Config relayEvents(Config config, EventRelay relay, Duration retention) {
        EventSink sink = (EventSink) config.getUserContext().get(RunUpdateProcessor.SINK_KEY);
        if (sink == null) {
            throw new IllegalStateException("configure(config, sink) comes before relayEvents(config, ...)");
        }
        config.getUserContext().put(RunUpdateProcessor.SINK_KEY, sink.andThen(relay));
        // lanes' events too: they have no outbox, and the relay publishes them as they come
        EventSink laneSink = (EventSink) config.getUserContext().get(LaneStore.SINK_KEY);
        if (laneSink != null) {
            config.getUserContext().put(LaneStore.SINK_KEY, laneSink.andThen(relay));
        }
        config.getUserContext().put(RunUpdateProcessor.RELAY_KEY, relay);
        EventLog.configure(config, retention == null ? 0 : retention.toMillis());
        return config;
    }

    /**
     * How many finished runs a member keeps in memory when there is no database (default 1,000,000; a W1 diamond
     * run takes 572 bytes of heap): beyond it the runs that finished first are evicted before their retention ends, with a warning. Called
     * after {@link #configure}.
     */
    public static Config maxFinishedRuns(Config config, int maxPerMember) {
        if (maxPerMember < 1) {
            throw new IllegalArgumentException("A member keeps at least 1 finished run, not " + maxPerMember);
        }
        FinishedRuns.configure(config, maxPerMember);
        return config;
    }

    /**
     * Makes runs, lanes and stored values durable: write-through to a JDBC database
     * ({@code jdbc:h2:file:./.caravan/db} embedded, PostgreSQL in production), loaded in full when the cluster first
     * uses a map (lazily: the engine's start-up reads, which list paused runs for their timers, wait for it; eager
     * loading cost the CLI about 2 s per command for the same result). Finished runs leave the run map for the
     * database, which pages of runs read with SQL and whose rows of runs past the retention the sweep deletes
     * ({@link #removeFinishedBefore}); values that expire are deleted from it by the member that owns them.
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
        // finished runs leave the map for the database, which deletes them by age at the end of the retention
        FinishedRuns.inDatabase(config);
        config.getUserContext().put(DATABASE_KEY, runStore);
        if (config.getUserContext().containsKey(RunUpdateProcessor.RELAY_KEY)) {
            config.getUserContext().put(EVENT_TABLE_KEY, EventLog.persist(config, dataSource));
        }
        // definitions deployed through the API: few, each read by every member at start
        config.getMapConfig(DefinitionStore.MAP_NAME).getMapStoreConfig()
                .setEnabled(true)
                .setImplementation(JdbcMapStore.json(dataSource, DefinitionStore.TABLE))
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER);
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
        RunRecord held = read.seen(runs.executeOnKey(runId, read));
        if (held != null || finished == null) {
            // with a database, a finished run that left the map was loaded back from it
            return held;
        }
        PackedRun packed = finished.get(runId);
        return packed == null ? null : packed.record(runId);
    }

    @Override
    public Mutation.Result apply(String runId, List<Mutation> mutations) {
        // large values are stored once, before the update: every version of the record holds only their reference
        List<Mutation> referencing = new ArrayList<>(mutations.size());
        for (Mutation m : mutations) {
            referencing.add(values.referencing(m));
        }
        RunUpdateProcessor update = new RunUpdateProcessor(referencing, sink, memberId(), retentionMillis, hazelcast,
                finished != null, relay);
        Mutation.Result result = update.result(runs.executeOnKey(runId, update));
        RunRecord after = result.record();
        if (after != null && after.status().isTerminal() && update.wrote()) {
            // the run leaves the map whose records the values' refresh reads: its values live out its retention
            values.refreshReferenced(after);
        }
        return result;
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

    /**
     * Also takes the finished runs that lingered long enough out of the run map: packed runs are deleted from it,
     * with a database they are evicted (their rows stay, and a read loads them back until the next sweep). With a
     * database it deletes the rows of runs that finished before {@code updatedBefore} (0: none) too.
     */
    @Override
    public int removeFinishedBefore(long updatedBefore) {
        Set<String> keys = runs.localKeySet(e -> e.getValue().status().isTerminal()
                                                            && e.getValue().updatedAt() < updatedBefore);
        // delete, not evict: the database row goes in the same call, so no read can load the run back
        keys.forEach(runs::delete);
        int removed = keys.size();
        long lingered = System.currentTimeMillis() - FinishedRuns.LINGER_MILLIS;
        // a run whose events the relay has not confirmed stays where the relay looks for them
        Set<String> leaving = runs.localKeySet(e -> e.getValue().status().isTerminal()
                                                    && e.getValue().updatedAt() < lingered
                                                    && e.getValue().outbox().isEmpty());
        if (database != null) {
            leaving.forEach(runs::evict);
        } else if (finished != null && !leaving.isEmpty()) {
            // only if still finished: an update since may have made it run again
            FinishedRuns.leaveRunMap(runs, leaving, lingered, retentionMillis);
        }
        if (database != null) {
            if (updatedBefore > 0) {
                List<Object> parameters = new ArrayList<>(FINISHED_STATUSES);
                parameters.add(updatedBefore);
                removed += database.deleteWhere("status IN (?, ?, ?) AND updated_at < ?", parameters);
                if (logTable != null) {
                    // the logs of the runs just deleted, in the same pass
                    logTable.deleteOfRunsGoneBefore(updatedBefore);
                }
            }
        }
        return removed;
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
    public void confirmEvents(String runId, List<RunEvent> published, boolean dropFromOutbox) {
        if (relay == null) {
            throw new IllegalStateException("This member relays no events");
        }
        // waited for, as the engine's updates are: a callback on Hazelcast's futures runs on the common pool, which
        // on two cores starts a thread per callback
        log.executeOnKey(runId, new EventLog.Append(published));
        if (dropFromOutbox) {
            long upTo = published.get(published.size() - 1).sequence();
            runs.executeOnKey(runId, new RunUpdateProcessor.DropConfirmed(upTo, retentionMillis, finished != null));
        }
    }

    @Override
    public List<RunRecord> withUnconfirmedEvents(long updatedBefore) {
        Set<String> keys = runs.localKeySet(e -> !e.getValue().outbox().isEmpty()
                                                 && e.getValue().updatedAt() < updatedBefore);
        List<RunRecord> out = new ArrayList<>(keys.size());
        for (String key : keys) {
            RunRecord r = get(key);
            if (r != null && !r.outbox().isEmpty()) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public List<RunEvent> events(String runId, long afterSequence, int limit) {
        RunRecord r = get(runId);
        if (r == null || r.sequence() <= afterSequence) {
            return List.of();
        }
        return EventLog.merge(log == null ? null : log.get(runId), r.outbox(), afterSequence, limit);
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
        List<RunRecord> found = database != null ? selectRows(query)
                : finished != null ? mergePacked(query, selectHeld(query))
                : selectHeld(query);
        if (found.size() <= query.limit()) {
            return new RunPage(found, null);
        }
        List<RunRecord> page = found.subList(0, query.limit());
        return new RunPage(page, RunPage.Cursor.of(page.get(page.size() - 1)).toString());
    }

    private List<RunRecord> selectHeld(RunQuery query) {
        PagingPredicate<String, RunRecord> paging = Predicates.pagingPredicate(new Selects(query), new NewestFirst(),
                query.limit() + 1);
        return new ArrayList<>(runs.values(paging));
    }

    /**
     * The held runs a query selects merged with the packed ones, newest first, one more than the page: a run that
     * finished moments ago is in both, as held. Only the packed runs of the page are unpacked.
     */
    private List<RunRecord> mergePacked(RunQuery query, List<RunRecord> held) {
        Selects selects = new Selects(query);
        PagingPredicate<String, PackedRun> paging = Predicates.pagingPredicate(new SelectsPacked(selects),
                new PackedNewestFirst(), query.limit() + 1);
        List<Map.Entry<String, PackedRun>> packed = new ArrayList<>(finished.entrySet(paging));
        Set<String> heldIds = new HashSet<>();
        held.forEach(r -> heldIds.add(r.runId()));
        List<RunRecord> out = new ArrayList<>(query.limit() + 1);
        int h = 0;
        int p = 0;
        while (out.size() <= query.limit() && (h < held.size() || p < packed.size())) {
            if (p < packed.size() && heldIds.contains(packed.get(p).getKey())) {
                p++;
            } else if (p == packed.size() || h < held.size() && newerFirst(held.get(h).createdAt(),
                    held.get(h).runId(), packed.get(p).getValue().createdAt(), packed.get(p).getKey()) < 0) {
                out.add(held.get(h++));
            } else {
                Map.Entry<String, PackedRun> e = packed.get(p++);
                out.add(e.getValue().record(e.getKey()));
            }
        }
        return out;
    }

    /** The runs a query selects from the run table, newest first, one more than the page. */
    private List<RunRecord> selectRows(RunQuery query) {
        StringBuilder where = new StringBuilder("1 = 1");
        List<Object> parameters = new ArrayList<>();
        if (query.tenant() != null) {
            where.append(" AND tenant = ?");
            parameters.add(query.tenant());
        }
        if (query.workflow() != null) {
            where.append(" AND workflow = ?");
            parameters.add(query.workflow());
        }
        if (query.lane() != null) {
            where.append(" AND lane = ?");
            parameters.add(query.lane());
        }
        if (!query.statuses().isEmpty()) {
            where.append(" AND status IN (").append(String.join(", ", Collections.nCopies(query.statuses().size(),
                    "?"))).append(")");
            query.statuses().forEach(st -> parameters.add(st.name()));
        }
        if (query.after() != null) {
            RunPage.Cursor after = RunPage.Cursor.parse(query.after());
            where.append(" AND (created_at < ? OR created_at = ? AND id < ?)");
            parameters.addAll(List.of(after.createdAt(), after.createdAt(), after.runId()));
        }
        return database.select(where.toString(), parameters, "created_at DESC, id DESC", query.limit() + 1);
    }

    /** Negative when the first run comes first in a page: created later, or at the same time with a greater id. */
    private static int newerFirst(long createdA, String idA, long createdB, String idB) {
        int byTime = Long.compare(createdB, createdA);
        return byTime != 0 ? byTime : idB.compareTo(idA);
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
        private final String lane;

        Selects(RunQuery query) {
            this.tenant = query.tenant();
            this.workflow = query.workflow();
            this.lane = query.lane();
            this.statuses = query.statuses().isEmpty() ? null : EnumSet.copyOf(query.statuses());
            this.after = query.after() == null ? null : RunPage.Cursor.parse(query.after());
        }

        @Override
        public boolean apply(Map.Entry<String, RunRecord> entry) {
            RunRecord r = entry.getValue();
            return r != null && selects(r.runId(), r.tenant(), r.workflow(), r.lane(), r.status(), r.createdAt());
        }

        boolean selects(String runId, String runTenant, String runWorkflow, String runLane, RunStatus status,
                long createdAt) {
            return (tenant == null || tenant.equals(runTenant))
                   && (workflow == null || workflow.equals(runWorkflow))
                   && (lane == null || lane.equals(runLane))
                   && (statuses == null || statuses.contains(status))
                   && (after == null || createdAt < after.createdAt()
                       || createdAt == after.createdAt() && runId.compareTo(after.runId()) < 0);
        }
    }

    /** The same selection of packed finished runs. */
    static final class SelectsPacked implements Predicate<String, PackedRun> {

        private static final long serialVersionUID = 1L;

        private final Selects selects;

        SelectsPacked(Selects selects) {
            this.selects = selects;
        }

        @Override
        public boolean apply(Map.Entry<String, PackedRun> entry) {
            PackedRun p = entry.getValue();
            return p != null && selects.selects(entry.getKey(), p.tenant(), p.workflow(), p.lane(), p.status(),
                    p.createdAt());
        }
    }

    /** The page order of packed finished runs. */
    static final class PackedNewestFirst implements Comparator<Map.Entry<String, PackedRun>>, Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Map.Entry<String, PackedRun> a, Map.Entry<String, PackedRun> b) {
            return newerFirst(a.getValue().createdAt(), a.getKey(), b.getValue().createdAt(), b.getKey());
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
