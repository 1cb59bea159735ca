package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.config.EntryListenerConfig;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryView;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import com.hazelcast.spi.eviction.EvictionPolicyComparator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a finished run is kept for the retention once it leaves the run map. A finished run stays in the run map
 * (as the object every update works on) {@link #LINGER_MILLIS} after its last update, long enough for whoever waits
 * on it to read it cheaply, until the engine's next sweep takes it out; then it is kept
 * <ul>
 * <li>with a database, in the database only: the run map's write-through already stored it, so its entry is just
 * evicted, reading it by id loads it back (the sweep evicts it again), pages are read with SQL, and the retention
 * deletes its row by age;</li>
 * <li>in memory, packed ({@link PackedRun}) by the sweep, put into the map {@value #MAP_NAME} by the same entry
 * processor that takes it out of the run map (so it is never in neither map), expiring at the end of the retention, and
 * bounded per member: beyond {@code caravan.runs.max-finished} the runs that finished first are evicted, and a
 * warning says so. Packing is the sweep's work, not the finishing update's: a run's last update is on the path of
 * whoever waits for its outcome.</li>
 * </ul>
 * A run that changes again after it finished (retried, say) is taken back into the run map by its update.
 */
final class FinishedRuns {

    static final String MAP_NAME = "caravan.runs.finished";
    /** In the member's user context when finished runs are packed in {@value #MAP_NAME} (no database). */
    static final String PACKED_KEY = "caravan.finishedRunsPacked";
    /** How long a finished run stays in the run map after its last update, at least: the sweep takes it out then. */
    static final long LINGER_MILLIS = 5_000;
    /**
     * The time to live of a finished run's entry in the run map when a database holds it, for a store no engine
     * sweeps. Not what takes it out: Hazelcast frees expired entries a tenth of a partition every 5 s, so 100,000
     * runs that finished in a minute stayed on the heap for minutes (measured with {@code FinishedRunsBench}).
     */
    static final long RUN_MAP_TTL_MILLIS = 60_000;
    /** How many finished runs a member holds in memory, by default: some 570 MB of heap for diamond runs. */
    static final int DEFAULT_MAX_PER_MEMBER = 1_000_000;

    private static final Logger LOG = LoggerFactory.getLogger(FinishedRuns.class);

    private FinishedRuns() {
    }

    /** Packs finished runs into {@value #MAP_NAME}, at most {@code maxPerMember} on each member. */
    static void configure(Config config, int maxPerMember) {
        config.getMapConfig(MAP_NAME)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setBackupCount(config.getMapConfig(HazelcastRunStore.MAP_NAME).getBackupCount())
                .setEvictionConfig(new EvictionConfig()
                        // a map checks that a comparator comes with no policy of its own
                        .setEvictionPolicy(EvictionPolicy.NONE)
                        .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
                        .setSize(maxPerMember)
                        .setComparator(new FirstFinishedFirst()))
                .getEntryListenerConfigs().removeIf(l -> l.getImplementation() instanceof EvictionWarning);
        config.getMapConfig(MAP_NAME).addEntryListenerConfig(new EntryListenerConfig(
                new EvictionWarning(maxPerMember), true, false));
        config.getUserContext().put(PACKED_KEY, Boolean.TRUE);
    }

    /** Finished runs stay in the database: nothing is packed. */
    static void inDatabase(Config config) {
        config.getUserContext().remove(PACKED_KEY);
    }

    static boolean packed(HazelcastInstance hazelcast) {
        return Boolean.TRUE.equals(hazelcast.getConfig().getUserContext().get(PACKED_KEY));
    }

    /**
     * How long the run map holds a record written now at most: a finished one leaves at the next sweep, but a store
     * no engine sweeps lets it expire; in memory only at the end of its retention, since it is packed by the sweep
     * and nowhere else.
     */
    static long ttlInRunMap(RunRecord r, long retentionMillis, boolean packed) {
        if (!r.status().isTerminal()) {
            return 0;
        }
        if (packed || !r.outbox().isEmpty()) {
            // (a run whose events the relay has not confirmed stays where the relay looks, up to its retention)
            return retentionMillis;
        }
        return retentionMillis > 0 ? Math.min(retentionMillis, RUN_MAP_TTL_MILLIS) : RUN_MAP_TTL_MILLIS;
    }

    /**
     * The packed record of a finished run that left the run map, or null. Called on the partition thread of the
     * key, which owns the same key of {@value #MAP_NAME}: the read runs there, without a hand-off.
     */
    static RunRecord restore(HazelcastInstance hazelcast, String runId) {
        PackedRun packed = hazelcast.<String, PackedRun>getMap(MAP_NAME).get(runId);
        return packed == null ? null : packed.record(runId);
    }

    /** Keeps a finished run packed for the rest of its retention (on the partition thread of its key, as {@link #restore}). */
    private static void keep(HazelcastInstance hazelcast, String runId, PackedRun packed, long updatedAt,
            long retentionMillis) {
        IMap<String, PackedRun> finished = hazelcast.getMap(MAP_NAME);
        if (retentionMillis <= 0) {
            finished.set(runId, packed);
            return;
        }
        // Hazelcast counts an entry's time to live in whole seconds
        long left = Math.max(1000, updatedAt + retentionMillis - System.currentTimeMillis());
        finished.set(runId, packed, left, TimeUnit.MILLISECONDS);
    }

    /** A run that is no longer finished is not packed any more (on the partition thread of its key). */
    static void forget(HazelcastInstance hazelcast, String runId) {
        hazelcast.getMap(MAP_NAME).delete(runId);
    }

    /**
     * Takes the lingering finished runs {@code leaving} out of the run map into {@value #MAP_NAME}, packed, in the
     * order they finished: the bound on packed runs evicts, before each insert, the run that finished first among
     * those already packed, so an earlier run packed after a later one would outlive it. Updates of one partition run
     * in the order they were submitted, so submitting them in that order is enough; the sweep waits for them. The
     * packing (JSON and deflate) is done here, on the sweep's thread, not on the partition threads every run's
     * updates wait for.
     */
    static void leaveRunMap(IMap<String, RunRecord> runs, Set<String> leaving, long updatedBefore,
            long retentionMillis) {
        Lingering read = Lingering.local();
        List<RunRecord> records = read.records(runs.executeOnKeys(leaving, read));
        records.sort(Comparator.comparingLong(RunRecord::updatedAt).thenComparingLong(RunRecord::createdAt));
        // one key after another, each call waited for where it is made: the futures submitToKey returns complete
        // through a callback on Hazelcast's default async executor, which on two cores starts a thread per callback
        // (thousands per sweep, seen in a profile); the records are this member's, so each call is a local one
        for (RunRecord r : records) {
            runs.executeOnKey(r.runId(), new LeaveRunMap(updatedBefore, retentionMillis, r));
        }
    }

    /**
     * The records of lingering finished runs, read where they are held: on this member, the records themselves
     * (handed over through the processor, as {@code ReadRecord} does), otherwise in the response.
     */
    static final class Lingering implements EntryProcessor<String, RunRecord, RunRecord>, ReadOnly {

        /** Set only on the instance the sweep made: it never survives serialization. */
        private transient Map<String, RunRecord> held;

        static Lingering local() {
            Lingering read = new Lingering();
            read.held = new ConcurrentHashMap<>();
            return read;
        }

        @Override
        public RunRecord process(Map.Entry<String, RunRecord> entry) {
            RunRecord r = entry.getValue();
            if (r == null || !r.status().isTerminal()) {
                return null;
            }
            if (held != null) {
                held.put(entry.getKey(), r);
                return null;
            }
            return r;
        }

        List<RunRecord> records(Map<String, RunRecord> responses) {
            Map<String, RunRecord> all = new HashMap<>(held);
            responses.forEach((id, r) -> {
                if (r != null) {
                    all.put(id, r);
                }
            });
            return new ArrayList<>(all.values());
        }

        @Override
        public EntryProcessor<String, RunRecord, RunRecord> getBackupProcessor() {
            return null;
        }

        static final class Serializer implements CompactSerializer<Lingering> {
            @Override
            public Lingering read(CompactReader reader) {
                return new Lingering();
            }

            @Override
            public void write(CompactWriter writer, Lingering p) {
                // nothing to carry
            }

            @Override
            public String getTypeName() {
                return "caravan.Lingering";
            }

            @Override
            public Class<Lingering> getCompactClass() {
                return Lingering.class;
            }
        }
    }

    /**
     * Takes a finished run out of the run map into {@value #MAP_NAME}, packed for the rest of its retention, if it is
     * still finished and was last updated before a time (an update since may have made it run again). Only without a
     * database: with one, entries are evicted instead.
     */
    static final class LeaveRunMap implements EntryProcessor<String, RunRecord, Object>, HazelcastInstanceAware {

        private final long updatedBefore;
        private final long retentionMillis;
        /** False on backups of the run map: the packed map has backups of its own. */
        private final boolean pack;
        /** The record the sweep packed, and its packing; null when this was sent to another member. */
        private final transient RunRecord packedFrom;
        private final transient PackedRun packed;
        private transient HazelcastInstance hazelcast;

        /** Packs the run here, on the partition thread, if still finished. */
        LeaveRunMap(long updatedBefore, long retentionMillis) {
            this(updatedBefore, retentionMillis, true, null);
        }

        /** Takes the run out with {@code read} packed by the caller, if the run is still that record. */
        LeaveRunMap(long updatedBefore, long retentionMillis, RunRecord read) {
            this(updatedBefore, retentionMillis, true, read);
        }

        private LeaveRunMap(long updatedBefore, long retentionMillis, boolean pack, RunRecord read) {
            this.updatedBefore = updatedBefore;
            this.retentionMillis = retentionMillis;
            this.pack = pack;
            this.packedFrom = read;
            this.packed = read == null ? null : PackedRun.of(read);
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            hazelcast = hz;
        }

        @Override
        public Object process(Map.Entry<String, RunRecord> entry) {
            RunRecord r = entry.getValue();
            if (r != null && r.status().isTerminal() && r.updatedAt() < updatedBefore) {
                if (pack) {
                    // records are immutable: the same object is the same run as the sweep packed it
                    keep(hazelcast, entry.getKey(), r == packedFrom ? packed : PackedRun.of(r), r.updatedAt(),
                            retentionMillis);
                }
                entry.setValue(null);
            }
            return null;
        }

        @Override
        public EntryProcessor<String, RunRecord, Object> getBackupProcessor() {
            return new LeaveRunMap(updatedBefore, retentionMillis, false, null);
        }

        static final class Serializer implements CompactSerializer<LeaveRunMap> {
            @Override
            public LeaveRunMap read(CompactReader reader) {
                return new LeaveRunMap(reader.readInt64("updatedBefore"), reader.readInt64("retentionMillis"),
                        reader.readBoolean("pack"), null);
            }

            @Override
            public void write(CompactWriter writer, LeaveRunMap p) {
                writer.writeInt64("updatedBefore", p.updatedBefore);
                writer.writeInt64("retentionMillis", p.retentionMillis);
                writer.writeBoolean("pack", p.pack);
            }

            @Override
            public String getTypeName() {
                return "caravan.LeaveRunMap";
            }

            @Override
            public Class<LeaveRunMap> getCompactClass() {
                return LeaveRunMap.class;
            }
        }
    }

    /** Evicts the runs that finished first. */
    static final class FirstFinishedFirst implements EvictionPolicyComparator<String, PackedRun,
            EntryView<String, PackedRun>>, Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        public int compare(EntryView<String, PackedRun> a, EntryView<String, PackedRun> b) {
            int byFinish = Long.compare(a.getValue().updatedAt(), b.getValue().updatedAt());
            // runs that finished in the same millisecond: the one started first finished first
            return byFinish != 0 ? byFinish : Long.compare(a.getValue().createdAt(), b.getValue().createdAt());
        }
    }

    /** Says that runs leave before their retention: once at the first eviction, then at most once a minute. */
    static final class EvictionWarning implements EntryEvictedListener<String, PackedRun> {

        private static final long EVERY_MILLIS = 60_000;

        private final int maxPerMember;
        private final AtomicInteger evicted = new AtomicInteger();
        private final AtomicLong lastWarned = new AtomicLong(-EVERY_MILLIS);

        EvictionWarning(int maxPerMember) {
            this.maxPerMember = maxPerMember;
        }

        @Override
        public void entryEvicted(EntryEvent<String, PackedRun> event) {
            int count = evicted.incrementAndGet();
            long now = System.currentTimeMillis();
            long last = lastWarned.get();
            if (now - last >= EVERY_MILLIS && lastWarned.compareAndSet(last, now)) {
                evicted.addAndGet(-count);
                LOG.warn("Evicted {} finished runs before their retention (one was {}): this member keeps at"
                         + " most {} in memory (caravan.runs.max-finished); raise it, shorten caravan.runs.retention"
                         + " or keep runs in a database (caravan.store.jdbc-url)", count, event.getKey(),
                        maxPerMember);
            }
        }
    }
}
