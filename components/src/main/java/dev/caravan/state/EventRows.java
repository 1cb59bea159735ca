package dev.caravan.state;

import com.hazelcast.map.MapStore;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Write-through persistence of the event logs ({@link EventLog}) in the table {@value #TABLE}, one row per event
 * ({@code run_id}, {@code sequence}, {@code event}: the event as JSON text, {@code created_at}), keyed by run and
 * sequence. A log only grows at its end, so a store inserts the events beyond the highest sequence the table holds for
 * the run and nothing else: a run of n events writes n rows, where a log kept as one document rewrote all of it on
 * every append. Storing the same log again writes nothing. Logs are loaded one run at a time, when read; the sweep
 * deletes the rows of runs the run table no longer holds ({@link #deleteOfRunsGoneBefore}).
 * <p>
 * The highest stored sequence of a run is known without asking the database in the common case: before an append the
 * member that owns the run loaded its log (when it was not in memory) or stored it, and both tell. Only a log that came
 * to the member otherwise (a partition migrated) costs one query by primary key. A sequence known too low only makes a
 * store offer rows the table has, which it skips ({@code ON CONFLICT DO NOTHING} on PostgreSQL, {@code MERGE} on H2);
 * on other databases, which get a plain {@code INSERT}, the highest sequence is always read in the store's transaction.
 */
final class EventRows implements MapStore<String, EventLog.Entries> {

    static final String TABLE = "caravan_event_log";
    /** The table of earlier versions, one row per run holding its whole log as a JSON document: moved here at start. */
    static final String OLD_TABLE = "caravan_run_events";
    /** How many runs' highest stored sequences a member remembers: as many as the log map holds in memory. */
    private static final int KNOWN_RUNS = EventLog.MAX_RUNS_IN_MEMORY;

    private static final Logger LOG = LoggerFactory.getLogger(EventRows.class);

    private final DataSource dataSource;
    /** The table of run records: the rows of runs it no longer holds are deleted by the sweep. */
    private final String runTable;
    private final GroupCommit<Pending> commits = new GroupCommit<>(this::connection, this::writeRows);
    /** The highest sequence stored per run, as far as this member knows; least recently used first. */
    private final Map<String, Long> stored = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > KNOWN_RUNS;
        }
    };
    private volatile boolean tableReady;
    /** The statement that inserts a row unless its key exists, or a plain insert on other databases. */
    private volatile String insert;
    /** Whether {@link #insert} skips existing rows: only then may a store trust a remembered highest sequence. */
    private volatile boolean skipsExisting;

    EventRows(DataSource dataSource, String runTable) {
        if (!runTable.matches("[a-z_]+")) {
            throw new IllegalArgumentException("Table names are lower-case letters and underscores: " + runTable);
        }
        this.dataSource = dataSource;
        this.runTable = runTable;
    }

    /** The events of a log to store: those beyond {@code storedUpTo}, or all when that is unknown (null). */
    private record Pending(String runId, List<RunEvent> events, Long storedUpTo, long now) {
    }

    /** A pooled connection, to close after use; the table exists, and the old one is moved, once the first is handed out. */
    private Connection connection() throws SQLException {
        Connection c = dataSource.getConnection();
        if (!tableReady) {
            synchronized (this) {
                if (!tableReady) {
                    try {
                        try (Statement s = c.createStatement()) {
                            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (run_id VARCHAR(512) NOT NULL,"
                                      + " sequence BIGINT NOT NULL, event TEXT NOT NULL, created_at BIGINT NOT NULL,"
                                      + " PRIMARY KEY (run_id, sequence))");
                            // the sweep looks for rows by age
                            s.execute("CREATE INDEX IF NOT EXISTS " + TABLE + "_by_created_at ON " + TABLE
                                      + " (created_at)");
                        }
                        String unlessPresent = insertUnlessPresent(c.getMetaData().getDatabaseProductName());
                        skipsExisting = unlessPresent != null;
                        insert = skipsExisting ? unlessPresent
                                : "INSERT INTO " + TABLE + " (run_id, sequence, event, created_at) VALUES (?, ?, ?, ?)";
                        moveOldTable(c);
                    } catch (SQLException | RuntimeException e) {
                        // back to the pool: the caller never gets it to close
                        c.close();
                        throw e;
                    }
                    tableReady = true;
                }
            }
        }
        return c;
    }

    /**
     * The statement that inserts a row unless its key exists, on the databases known to have one: H2's
     * {@code MERGE ... KEY} (an existing row is written again, with the same event), PostgreSQL's
     * {@code INSERT ... ON CONFLICT DO NOTHING}. Null for any other database.
     */
    private static String insertUnlessPresent(String databaseProduct) {
        String columns = " (run_id, sequence, event, created_at)";
        return switch (databaseProduct) {
            case "H2" -> "MERGE INTO " + TABLE + columns + " KEY (run_id, sequence) VALUES (?, ?, ?, ?)";
            case "PostgreSQL" -> "INSERT INTO " + TABLE + columns + " VALUES (?, ?, ?, ?)"
                                 + " ON CONFLICT (run_id, sequence) DO NOTHING";
            default -> null;
        };
    }

    /**
     * Moves the logs of a table an earlier version wrote (one JSON document per run) into rows, a run per
     * transaction that inserts its events and deletes its old row, then drops the old table: a move that stops half
     * way goes on at the next start, and no run is in both or neither.
     */
    private void moveOldTable(Connection c) throws SQLException {
        String old = existingTable(c, OLD_TABLE);
        if (old == null) {
            return;
        }
        List<String> runIds = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM " + old)) {
            while (rs.next()) {
                runIds.add(rs.getString(1));
            }
        }
        c.setAutoCommit(false);
        try (PreparedStatement read = c.prepareStatement("SELECT doc, updated_at FROM " + old + " WHERE id = ?");
             PreparedStatement add = c.prepareStatement(insert);
             PreparedStatement drop = c.prepareStatement("DELETE FROM " + old + " WHERE id = ?")) {
            for (String runId : runIds) {
                read.setString(1, runId);
                try (ResultSet rs = read.executeQuery()) {
                    if (rs.next()) {
                        EventLog.Entries log = Json.read(rs.getString(1), EventLog.Entries.class);
                        addRows(add, runId, log.events(), 0, rs.getLong(2));
                        add.executeBatch();
                    }
                }
                drop.setString(1, runId);
                drop.executeUpdate();
                c.commit();
            }
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + old);
        }
        LOG.info("Moved the event logs of {} runs from the table {} to {}, one row per event", runIds.size(),
                OLD_TABLE, TABLE);
    }

    /** The name of a table in the connection's schema as the database spells it, or null when there is none. */
    private static String existingTable(Connection c, String name) throws SQLException {
        DatabaseMetaData meta = c.getMetaData();
        // unquoted names are upper case in H2 and lower case in PostgreSQL; '_' is a wildcard in the pattern
        try (ResultSet rs = meta.getTables(c.getCatalog(), c.getSchema(), null, new String[] {"TABLE"})) {
            while (rs.next()) {
                String table = rs.getString("TABLE_NAME");
                if (table.equalsIgnoreCase(name)) {
                    return table;
                }
            }
        }
        return null;
    }

    /** Adds the rows of the events beyond {@code after} to a batch of {@link #insert}s; returns how many. */
    private static int addRows(PreparedStatement add, String runId, List<RunEvent> events, long after, long now)
            throws SQLException {
        int added = 0;
        for (RunEvent e : events) {
            if (e.sequence() > after) {
                add.setString(1, runId);
                add.setLong(2, e.sequence());
                add.setString(3, Json.write(e));
                add.setLong(4, now);
                add.addBatch();
                added++;
            }
        }
        return added;
    }

    @Override
    public void store(String runId, EventLog.Entries log) {
        if (log.events().isEmpty()) {
            return;
        }
        Long known = skipsExisting ? known(runId) : null;
        long last = log.lastSequence();
        if (known != null && known >= last) {
            // a repeated confirmation: nothing new
            return;
        }
        List<RunEvent> events = log.events();
        if (known != null) {
            // a log is in sequence order: its new events are at its end
            int from = events.size();
            while (from > 0 && events.get(from - 1).sequence() > known) {
                from--;
            }
            events = events.subList(from, events.size());
        }
        try {
            commits.write(new Pending(runId, events, known, System.currentTimeMillis()));
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot store the events of " + runId + " in " + TABLE + ": "
                                            + e.getMessage(), e);
        }
        remember(runId, last);
    }

    /** Writes the new rows of the logs of one transaction, in run order, so two transactions never wait for each other. */
    private void writeRows(Connection c, List<Pending> logs) throws SQLException {
        logs.sort(Comparator.comparing(Pending::runId));
        try (PreparedStatement add = c.prepareStatement(insert);
             PreparedStatement highest = c.prepareStatement("SELECT MAX(sequence) FROM " + TABLE
                     + " WHERE run_id = ?")) {
            for (Pending log : logs) {
                long after;
                if (log.storedUpTo() != null) {
                    after = log.storedUpTo();
                } else {
                    // a log is stored by its partition's thread only, one store at a time: nothing races this read
                    highest.setString(1, log.runId());
                    try (ResultSet rs = highest.executeQuery()) {
                        after = rs.next() ? rs.getLong(1) : 0;
                    }
                }
                addRows(add, log.runId(), log.events(), after, log.now());
            }
            add.executeBatch();
        }
    }

    private Long known(String runId) {
        synchronized (stored) {
            return stored.get(runId);
        }
    }

    private void remember(String runId, long storedUpTo) {
        synchronized (stored) {
            stored.merge(runId, storedUpTo, Math::max);
        }
    }

    @Override
    public void storeAll(Map<String, EventLog.Entries> map) {
        map.forEach(this::store);
    }

    @Override
    public EventLog.Entries load(String runId) {
        try (Connection c = connection();
             PreparedStatement s = c.prepareStatement("SELECT event, created_at FROM " + TABLE
                     + " WHERE run_id = ? ORDER BY sequence")) {
            s.setString(1, runId);
            List<RunEvent> events = new ArrayList<>();
            long updatedAt = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    events.add(Json.read(rs.getString(1), RunEvent.class));
                    updatedAt = Math.max(updatedAt, rs.getLong(2));
                }
            }
            long last = events.isEmpty() ? 0 : events.get(events.size() - 1).sequence();
            // the member that loads a log is the one that appends to it next
            synchronized (stored) {
                stored.put(runId, last);
            }
            return events.isEmpty() ? null : new EventLog.Entries(events, updatedAt);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot load the events of " + runId + " from " + TABLE + ": "
                                            + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, EventLog.Entries> loadAll(Collection<String> runIds) {
        Map<String, EventLog.Entries> out = new HashMap<>();
        for (String runId : runIds) {
            EventLog.Entries log = load(runId);
            if (log != null) {
                out.put(runId, log);
            }
        }
        return out;
    }

    @Override
    public Iterable<String> loadAllKeys() {
        // loaded a run at a time: the logs of every run in the retention are no start-up load
        return null;
    }

    @Override
    public void delete(String runId) {
        try (Connection c = connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM " + TABLE + " WHERE run_id = ?")) {
            s.setString(1, runId);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot delete the events of " + runId + " from " + TABLE + ": "
                                            + e.getMessage(), e);
        }
        synchronized (stored) {
            stored.remove(runId);
        }
    }

    @Override
    public void deleteAll(Collection<String> runIds) {
        runIds.forEach(this::delete);
    }

    /**
     * Deletes the events, appended before {@code before} (epoch millis), of the runs the run table no longer holds:
     * called by the sweep after it deleted the runs, it deletes their logs in the same pass, and rows a late
     * confirmation added after a run was deleted at a later one. Returns how many rows.
     */
    int deleteOfRunsGoneBefore(long before) {
        try (Connection c = connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM " + TABLE + " WHERE created_at < ? AND NOT EXISTS"
                     + " (SELECT 1 FROM " + runTable + " r WHERE r.id = " + TABLE + ".run_id)")) {
            s.setLong(1, before);
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot delete from " + TABLE + ": " + e.getMessage(), e);
        }
    }
}
