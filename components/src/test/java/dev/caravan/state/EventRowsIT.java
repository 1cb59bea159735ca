package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.event.EventBus;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import dev.caravan.run.Engine;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event logs in the database, one row per event, on a real H2 file database and PostgreSQL: each event is written
 * once however many confirmations it takes, a repeated confirmation writes nothing, a new member reads the logs back
 * in order, the sweep deletes the logs with the runs, and the logs an older version kept as one document per run are
 * moved to rows at start.
 */
class EventRowsIT {

    private static final int EVENTS = 1_000;
    private static final int BATCH = 10;

    @TempDir
    Path dir;
    private final EventBus bus = new EventBus();
    private final List<HazelcastInstance> members = new CopyOnWriteArrayList<>();
    private final List<HikariDataSource> pools = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        members.forEach(HazelcastInstance::shutdown);
        bus.close();
        pools.forEach(HikariDataSource::close);
    }

    @Test
    void aRunConfirmedInManyBatchesWritesEachEventOnceAndIsReadBackAndSweptOnH2() throws Exception {
        writesEachEventOnceReadsBackAndSweeps("jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath(), "sa");
    }

    @Test
    void aRunConfirmedInManyBatchesWritesEachEventOnceAndIsReadBackAndSweptOnPostgres() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            writesEachEventOnceReadsBackAndSweeps(pg.getJdbcUrl("postgres", "postgres"), "postgres");
        }
    }

    private void writesEachEventOnceReadsBackAndSweeps(String url, String user) throws Exception {
        CountingWrites writes = new CountingWrites(pool(url, user));
        HazelcastRunStore store = member(writes.dataSource());
        runOf(store, "long", EVENTS - 1);
        store.apply("long", new Mutation.CompleteRun("done"));
        List<RunEvent> events = store.get("long").outbox();
        assertThat(events).hasSize(EVENTS);
        List<List<RunEvent>> batches = batches(events);
        batches.forEach(b -> store.confirmEvents("long", b, true));

        assertThat(writes.rows()).as("rows written").isEqualTo(EVENTS);
        assertThat(rows(writes.dataSource(), "long")).isEqualTo(EVENTS);
        assertThat(store.get("long").outbox()).isEmpty();

        // a confirmation repeated (after a takeover, say) writes nothing
        batches.forEach(b -> store.confirmEvents("long", b, true));
        assertThat(writes.rows()).isEqualTo(EVENTS);

        // a live run beside it, which the sweep keeps
        List<RunEvent> live = runOf(store, "live", 3);
        store.confirmEvents("live", live, true);

        // a member after the last reads the logs back from the database, in order
        members.get(0).getLifecycleService().terminate();
        HazelcastRunStore next = member(writes.dataSource());
        assertThat(next.events("long", 0, 2 * EVENTS)).extracting(RunEvent::id)
                .containsExactlyElementsOf(events.stream().map(RunEvent::id).toList());
        assertThat(next.events("long", 990, 5)).extracting(RunEvent::sequence).containsExactly(991L, 992L, 993L,
                994L, 995L);
        long before = writes.rows();
        next.confirmEvents("long", batches.get(batches.size() - 1), true);
        assertThat(writes.rows()).isEqualTo(before);

        // the run finished: the sweep deletes its rows with the run, in one pass
        assertThat(next.removeFinishedBefore(System.currentTimeMillis() + 1)).isEqualTo(1);
        assertThat(rows(writes.dataSource(), "long")).isZero();
        assertThat(next.get("long")).isNull();
        assertThat(rows(writes.dataSource(), "live")).isEqualTo(3);
        assertThat(next.events("live", 0, 10)).extracting(RunEvent::id)
                .containsExactlyElementsOf(live.stream().map(RunEvent::id).toList());
    }

    @Test
    void aMemberThatDidNotLoadALogWritesOnlyTheEventsTheTableLacks() throws Exception {
        CountingWrites writes = new CountingWrites(pool("jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath(),
                "sa"));
        List<RunEvent> events = runOf(member(writes.dataSource()), "r", 8);
        EventRows first = new EventRows(writes.dataSource(), JdbcMapStore.RUNS_TABLE);
        first.store("r", new EventLog.Entries(events.subList(0, 5), 1));
        assertThat(writes.rows()).isEqualTo(5);

        // another member (the log's partition migrated to it) knows nothing of what was stored: it asks the table
        EventRows other = new EventRows(writes.dataSource(), JdbcMapStore.RUNS_TABLE);
        other.store("r", new EventLog.Entries(events, 2));
        assertThat(writes.rows()).isEqualTo(8);
        other.store("r", new EventLog.Entries(events, 3));
        first.store("r", new EventLog.Entries(events, 4));
        assertThat(writes.rows()).as("a member that knows too little offers rows the table skips").isEqualTo(11);
        assertThat(rows(writes.dataSource(), "r")).isEqualTo(8);
        assertThat(new EventRows(writes.dataSource(), JdbcMapStore.RUNS_TABLE).load("r").events())
                .containsExactlyElementsOf(events);

        other.delete("r");
        assertThat(rows(writes.dataSource(), "r")).isZero();
        assertThat(other.load("r")).isNull();
    }

    @Test
    void theLogsAnOlderVersionKeptAsOneDocumentPerRunAreMovedToRowsAtStart() throws Exception {
        HikariDataSource pool = pool("jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath(), "sa");
        HazelcastRunStore store = member(pool);
        List<RunEvent> moved = runOf(store, "moved", 6);
        List<RunEvent> halfMoved = runOf(store, "half-moved", 5);
        store.confirmEvents("moved", moved, true);
        store.confirmEvents("half-moved", halfMoved, true);
        members.get(0).getLifecycleService().terminate();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            // the table as earlier versions wrote it: a run's whole log as one JSON document
            s.execute("CREATE TABLE caravan_run_events (id VARCHAR(512) PRIMARY KEY, doc TEXT NOT NULL,"
                      + " updated_at BIGINT NOT NULL)");
            try (PreparedStatement old = c.prepareStatement("INSERT INTO caravan_run_events VALUES (?, ?, ?)")) {
                for (Map.Entry<String, List<RunEvent>> log : Map.of("moved", moved, "half-moved", halfMoved)
                        .entrySet()) {
                    old.setString(1, log.getKey());
                    old.setString(2, Json.write(new EventLog.Entries(log.getValue(), 1_000)));
                    old.setLong(3, 1_000);
                    old.executeUpdate();
                }
            }
            // a move interrupted after a few events of one run: the rest is moved, nothing twice
            s.execute("DELETE FROM " + EventRows.TABLE + " WHERE run_id = 'moved' OR sequence > 2");
        }
        assertThat(rows(pool, "half-moved")).isEqualTo(2);

        HazelcastRunStore next = member(pool);
        assertThat(next.events("moved", 0, 100)).extracting(RunEvent::id)
                .containsExactlyElementsOf(moved.stream().map(RunEvent::id).toList());
        assertThat(next.events("half-moved", 0, 100)).extracting(RunEvent::id)
                .containsExactlyElementsOf(halfMoved.stream().map(RunEvent::id).toList());
        assertThat(rows(pool, "moved")).isEqualTo(6);
        assertThat(rows(pool, "half-moved")).isEqualTo(5);
        try (Connection c = pool.getConnection();
             ResultSet tables = c.getMetaData().getTables(null, null, "CARAVAN_RUN_EVENTS", null)) {
            assertThat(tables.next()).as("the old table is dropped").isFalse();
        }
    }

    /** A run of {@code count} events (the run's start, then emitted events), as its outbox holds them. */
    private static List<RunEvent> runOf(HazelcastRunStore store, String runId, int count) {
        store.apply(runId, new Mutation.CreateRun(runId, "wf", "h", "t", null, Map.of(), null, null));
        for (int i = 1; i < count; i++) {
            store.apply(runId, new Mutation.Emit("caravan.node.output.delta", "a", Map.of("text", "token " + i)));
        }
        List<RunEvent> events = store.get(runId).outbox();
        assertThat(events).hasSize(count);
        return events;
    }

    /** The events in confirmations of {@value #BATCH}, as the relay confirms a busy run's. */
    private static List<List<RunEvent>> batches(List<RunEvent> events) {
        List<List<RunEvent>> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i += BATCH) {
            out.add(events.subList(i, Math.min(events.size(), i + BATCH)));
        }
        return out;
    }

    private HazelcastRunStore member(DataSource database) {
        Config config = Engine.embeddedConfig("event-rows-" + UUID.randomUUID());
        HazelcastRunStore.configure(config, bus);
        HazelcastRunStore.relayEvents(config, new OutboxTest.KeepingRelay(), null);
        HazelcastRunStore.persist(config, database, null);
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        members.add(hz);
        return new HazelcastRunStore(hz, bus);
    }

    private HikariDataSource pool(String url, String user) {
        HikariDataSource pool = JdbcMapStore.pool(url, user, user.equals("sa") ? "" : "postgres", 4);
        pools.add(pool);
        return pool;
    }

    private static int rows(DataSource database, String runId) throws SQLException {
        try (Connection c = database.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM " + EventRows.TABLE
                                                      + " WHERE run_id = ?")) {
            s.setString(1, runId);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * The database as it is, with a count of the rows offered to the event table's inserts (each statement executed,
     * or each added to a batch): what the store asked the database to write, whether or not the database skipped it.
     */
    static final class CountingWrites {
        private final DataSource database;
        private final AtomicLong rows = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();

        CountingWrites(DataSource database) {
            this.database = database;
        }

        long rows() {
            return rows.get();
        }

        long bytes() {
            return bytes.get();
        }

        DataSource dataSource() {
            return proxy(DataSource.class, database, (target, method, args) -> {
                Object result = invoke(target, method, args);
                return result instanceof Connection c ? connection(c) : result;
            });
        }

        private Connection connection(Connection c) {
            return proxy(Connection.class, c, (target, method, args) -> {
                Object result = invoke(target, method, args);
                if (method.getName().equals("prepareStatement") && writesEvents((String) args[0])) {
                    return counted((PreparedStatement) result);
                }
                return result;
            });
        }

        private static boolean writesEvents(String sql) {
            String s = sql.toLowerCase(Locale.ROOT);
            return (s.startsWith("insert") || s.startsWith("merge") || s.startsWith("update"))
                   && (s.contains(EventRows.TABLE) || s.contains(EventRows.OLD_TABLE));
        }

        private PreparedStatement counted(PreparedStatement statement) {
            return proxy(PreparedStatement.class, statement, (target, method, args) -> {
                switch (method.getName()) {
                    case "addBatch", "executeUpdate" -> rows.incrementAndGet();
                    case "setString" -> bytes.addAndGet(((String) args[1]).length());
                    default -> {
                    }
                }
                return invoke(target, method, args);
            });
        }

        private interface Call {
            Object on(Object target, Method method, Object[] args) throws Throwable;
        }

        private static <T> T proxy(Class<T> type, T target, Call call) {
            InvocationHandler handler = (p, method, args) -> call.on(target, method, args);
            return type.cast(Proxy.newProxyInstance(CountingWrites.class.getClassLoader(), new Class<?>[] {type},
                    handler));
        }

        private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
