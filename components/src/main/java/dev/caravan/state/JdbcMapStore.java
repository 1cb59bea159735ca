package dev.caravan.state;

import com.hazelcast.map.MapStore;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.json.Json;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Write-through persistence of a Hazelcast map in one JDBC table ({@code id}, {@code doc}: the value as JSON text,
 * {@code updated_at}, and for run records the {@link Column columns} pages select on), so runs
 * and lanes survive the loss of every member: H2 in a local folder for the embedded default, PostgreSQL (or any
 * JDBC database with standard SQL) in production. Connections come from a pool ({@link #pool}); the rows that threads
 * of different keys store at the same time are written in one transaction ({@link GroupCommit}), and each store
 * returns once its transaction committed.
 *
 * @param <V> the map's value type
 */
public final class JdbcMapStore<V> implements MapStore<String, V> {

    /** The table of run records ({@link #runs}). */
    static final String RUNS_TABLE = "caravan_runs";

    private final DataSource dataSource;
    private final String table;
    private final Function<V, String> write;
    private final Function<String, V> read;
    private final boolean immutable;
    /** Columns beside the document, written with it, that queries select on; none for most tables. */
    private final List<Column<V>> columns;
    /** The columns' parts of the statements: {@code , a = ?, b = ?}, {@code , a, b} and {@code , ?, ?}. */
    private final String columnAssignments;
    private final String columnNames;
    private final String columnPlaceholders;
    private final GroupCommit<Row> commits = new GroupCommit<>(this::connection, this::writeRows);
    private volatile boolean tableReady;
    /** The statement that inserts or replaces a row in one go on this database, or null: update, then insert. */
    private volatile String upsert;

    /**
     * A column beside the document, computed from the value on every store: what SQL queries select and order on.
     *
     * @param type    its SQL type, as both H2 and PostgreSQL spell it
     * @param indexed whether queries order on it: an index on it and the id
     */
    public record Column<V>(String name, String type, boolean indexed, Function<V, Object> value) {
        public Column {
            if (!name.matches("[a-z_]+")) {
                throw new IllegalArgumentException("Column names are lower-case letters and underscores: " + name);
            }
        }
    }

    public JdbcMapStore(DataSource dataSource, String table, Function<V, String> write, Function<String, V> read) {
        this(dataSource, table, write, read, false, List.of());
    }

    /** @param immutable whether a key's value never changes: storing an existing key then only touches its row */
    private JdbcMapStore(DataSource dataSource, String table, Function<V, String> write, Function<String, V> read,
            boolean immutable, List<Column<V>> columns) {
        if (!table.matches("[a-z_]+")) {
            throw new IllegalArgumentException("Table names are lower-case letters and underscores: " + table);
        }
        this.dataSource = dataSource;
        this.table = table;
        this.write = write;
        this.read = read;
        this.immutable = immutable;
        this.columns = List.copyOf(columns);
        StringBuilder assignments = new StringBuilder();
        StringBuilder names = new StringBuilder();
        for (Column<V> column : columns) {
            assignments.append(", ").append(column.name()).append(" = ?");
            names.append(", ").append(column.name());
        }
        this.columnAssignments = assignments.toString();
        this.columnNames = names.toString();
        this.columnPlaceholders = ", ?".repeat(columns.size());
    }

    /**
     * A pool of connections to the database (closed by its owner, the engine). {@code poolSize} bounds the
     * connections; a member writes from its partition threads, a handful.
     */
    public static HikariDataSource pool(String url, String user, String password, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(crashSafe(url));
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(1);
        config.setPoolName("caravan-store");
        // reads and deletes are each their own transaction; stores commit in groups (GroupCommit), and a store
        // returns once its group committed: write-through means committed when the update returns
        config.setAutoCommit(true);
        return new HikariDataSource(config);
    }

    /**
     * H2 flushes committed writes to its file up to 500 ms late by default, so a killed process loses its last
     * checkpoints: write-through must mean written, so an H2 file URL gets {@code WRITE_DELAY=0} unless it sets one.
     */
    static String crashSafe(String url) {
        if (url.startsWith("jdbc:h2:file:") && !url.toUpperCase(Locale.ROOT).contains("WRITE_DELAY")) {
            return url + ";WRITE_DELAY=0";
        }
        return url;
    }

    /**
     * The store of run records, with the columns pages of runs select and order on (finished runs are read from
     * here, not kept in memory), and the status the retention deletes by.
     */
    public static JdbcMapStore<RunRecord> runs(DataSource dataSource) {
        return new JdbcMapStore<>(dataSource, RUNS_TABLE, Json::write,
                json -> Frozen.record(Json.read(json, RunRecord.class)), false, List.of(
                        new Column<>("status", "VARCHAR(32)", false, r -> r.status().name()),
                        new Column<>("tenant", "VARCHAR(512)", false, RunRecord::tenant),
                        new Column<>("workflow", "VARCHAR(512)", false, RunRecord::workflow),
                        new Column<>("created_at", "BIGINT", true, RunRecord::createdAt),
                        // never null, so a row written before the column existed is told apart and filled in
                        new Column<>("lane", "VARCHAR(512)", true, r -> r.lane() == null ? "" : r.lane())));
    }

    /**
     * The store of values kept by content hash ({@link ValueStore}): a key always names the same value, so
     * refreshing a value's expiry, which Hazelcast writes through as a store, does not rewrite it.
     */
    public static JdbcMapStore<String> values(DataSource dataSource) {
        return new JdbcMapStore<>(dataSource, "caravan_values", Function.identity(), Function.identity(), true,
                List.of());
    }

    /** A store of JSON text values (lanes). */
    public static JdbcMapStore<String> json(DataSource dataSource, String table) {
        return new JdbcMapStore<>(dataSource, table, Function.identity(), Function.identity());
    }

    /** A pooled connection, to close after use; the table exists once the first one is handed out. */
    private Connection connection() throws SQLException {
        Connection c = dataSource.getConnection();
        if (!tableReady) {
            synchronized (this) {
                if (!tableReady) {
                    try (Statement s = c.createStatement()) {
                        s.execute("CREATE TABLE IF NOT EXISTS " + table
                                  + " (id VARCHAR(512) PRIMARY KEY, doc TEXT NOT NULL, updated_at BIGINT NOT NULL)");
                        addColumns(c, s);
                        upsert = immutable ? null : upsert(c.getMetaData().getDatabaseProductName());
                    } catch (SQLException e) {
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
     * Adds the columns a table made by an older version lacks, and fills them in from the documents of the rows it
     * holds: every row has them before the first store or query, whichever version wrote it.
     */
    private void addColumns(Connection c, Statement s) throws SQLException {
        if (columns.isEmpty()) {
            return;
        }
        for (Column<V> column : columns) {
            s.execute("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + column.name() + " " + column.type());
            if (column.indexed()) {
                s.execute("CREATE INDEX IF NOT EXISTS " + table + "_by_" + column.name() + " ON " + table + " ("
                          + column.name() + ", id)");
            }
        }
        // a table queried by its columns is also cleaned up by age
        s.execute("CREATE INDEX IF NOT EXISTS " + table + "_by_updated_at ON " + table + " (updated_at)");
        Map<String, String> older = new HashMap<>();
        StringBuilder unfilled = new StringBuilder();
        for (Column<V> column : columns) {
            unfilled.append(unfilled.length() == 0 ? "" : " OR ").append(column.name()).append(" IS NULL");
        }
        try (ResultSet rs = s.executeQuery("SELECT id, doc FROM " + table + " WHERE " + unfilled)) {
            while (rs.next()) {
                older.put(rs.getString(1), rs.getString(2));
            }
        }
        if (older.isEmpty()) {
            return;
        }
        try (PreparedStatement fill = c.prepareStatement("UPDATE " + table + " SET "
                + columnAssignments.substring(2) + " WHERE id = ?")) {
            for (Map.Entry<String, String> row : older.entrySet()) {
                fill.setString(bindColumns(fill, 1, read.apply(row.getValue())), row.getKey());
                fill.executeUpdate();
            }
        }
    }

    /** Sets the columns' values of a record from parameter {@code first} on; returns the next parameter's index. */
    private int bindColumns(PreparedStatement s, int first, V value) throws SQLException {
        int i = first;
        for (Column<V> column : columns) {
            s.setObject(i++, column.value().apply(value));
        }
        return i;
    }

    /** Sets the columns' values of a row from parameter {@code first} on; returns the next parameter's index. */
    private static int bindColumns(PreparedStatement s, int first, Row row) throws SQLException {
        int i = first;
        for (Object value : row.columnValues()) {
            s.setObject(i++, value);
        }
        return i;
    }

    /**
     * The values of the rows a condition on the columns selects, in the given order, at most {@code limit}.
     *
     * @param where   an SQL condition on the table's columns, with {@code ?} for the parameters
     * @param orderBy an SQL ordering of the table's columns
     */
    public List<V> select(String where, List<Object> parameters, String orderBy, int limit) {
        String sql = "SELECT doc FROM " + table + " WHERE " + where + " ORDER BY " + orderBy + " FETCH FIRST "
                     + limit + " ROWS ONLY";
        try (Connection c = connection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                s.setObject(i + 1, parameters.get(i));
            }
            List<V> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(read.apply(rs.getString(1)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot select from " + table + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the rows a condition on the columns selects; returns how many. */
    public int deleteWhere(String where, List<Object> parameters) {
        try (Connection c = connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM " + table + " WHERE " + where)) {
            for (int i = 0; i < parameters.size(); i++) {
                s.setObject(i + 1, parameters.get(i));
            }
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot delete from " + table + ": " + e.getMessage(), e);
        }
    }

    /**
     * The single statement that writes a row whether or not its key exists, on the databases known to have one:
     * H2's {@code MERGE ... KEY}, PostgreSQL's {@code INSERT ... ON CONFLICT}. Null for any other database, which gets
     * standard SQL: an update, then an insert when no row was updated.
     */
    private String upsert(String databaseProduct) {
        return switch (databaseProduct) {
            case "H2" -> "MERGE INTO " + table + " (id, doc, updated_at" + columnNames + ") KEY (id) VALUES (?, ?, ?"
                         + columnPlaceholders + ")";
            case "PostgreSQL" -> "INSERT INTO " + table + " (id, doc, updated_at" + columnNames + ") VALUES (?, ?, ?"
                                 + columnPlaceholders + ") ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc,"
                                 + " updated_at = EXCLUDED.updated_at" + columnsFromExcluded();
            default -> null;
        };
    }

    /** {@code , a = EXCLUDED.a, b = EXCLUDED.b}: the columns an upsert on PostgreSQL replaces. */
    private String columnsFromExcluded() {
        StringBuilder sb = new StringBuilder();
        for (Column<V> column : columns) {
            sb.append(", ").append(column.name()).append(" = EXCLUDED.").append(column.name());
        }
        return sb.toString();
    }

    /** A row to store: a map entry as JSON text with its columns' values, at the time it was stored. */
    private record Row(String key, String json, long now, Object[] columnValues) {
    }

    @Override
    public void store(String key, V value) {
        // serialized on the caller's thread: callers of different keys do it side by side, outside the transaction
        Object[] columnValues = new Object[columns.size()];
        for (int i = 0; i < columnValues.length; i++) {
            columnValues[i] = columns.get(i).value().apply(value);
        }
        Row row = new Row(key, write.apply(value), System.currentTimeMillis(), columnValues);
        try {
            commits.write(row);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot store " + key + " in " + table + ": " + e.getMessage(), e);
        }
    }

    /** Writes the rows of one transaction, in key order, so two transactions never wait for each other's rows. */
    private void writeRows(Connection c, List<Row> rows) throws SQLException {
        // a key is stored by its partition's thread only, one store at a time: update-then-insert does not race
        rows.sort(Comparator.comparing(Row::key));
        String merge = upsert;
        if (merge != null) {
            try (PreparedStatement s = c.prepareStatement(merge)) {
                for (Row row : rows) {
                    s.setString(1, row.key());
                    s.setString(2, row.json());
                    s.setLong(3, row.now());
                    bindColumns(s, 4, row);
                    s.executeUpdate();
                }
            }
            return;
        }
        try (PreparedStatement update = c.prepareStatement(immutable
                ? "UPDATE " + table + " SET updated_at = ? WHERE id = ?"
                : "UPDATE " + table + " SET doc = ?, updated_at = ?" + columnAssignments + " WHERE id = ?");
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " (id, doc, updated_at"
                     + columnNames + ") VALUES (?, ?, ?" + columnPlaceholders + ")")) {
            for (Row row : rows) {
                int i = 1;
                if (!immutable) {
                    update.setString(i++, row.json());
                }
                update.setLong(i++, row.now());
                if (!immutable) {
                    i = bindColumns(update, i, row);
                }
                update.setString(i, row.key());
                if (update.executeUpdate() == 0) {
                    insert.setString(1, row.key());
                    insert.setString(2, row.json());
                    insert.setLong(3, row.now());
                    bindColumns(insert, 4, row);
                    insert.executeUpdate();
                }
            }
        }
    }

    @Override
    public void storeAll(Map<String, V> map) {
        map.forEach(this::store);
    }

    @Override
    public void delete(String key) {
        try (Connection c = connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
            s.setString(1, key);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot delete " + key + " from " + table + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void deleteAll(Collection<String> keys) {
        keys.forEach(this::delete);
    }

    @Override
    public V load(String key) {
        try (Connection c = connection();
             PreparedStatement s = c.prepareStatement("SELECT doc FROM " + table + " WHERE id = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? read.apply(rs.getString(1)) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot load " + key + " from " + table + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, V> loadAll(Collection<String> keys) {
        Map<String, V> out = new HashMap<>();
        for (String k : keys) {
            V v = load(k);
            if (v != null) {
                out.put(k, v);
            }
        }
        return out;
    }

    @Override
    public Iterable<String> loadAllKeys() {
        List<String> keys = new ArrayList<>();
        try (Connection c = connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot list the keys of " + table + ": " + e.getMessage(), e);
        }
        return keys;
    }
}
