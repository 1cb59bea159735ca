package dev.caravan.state;

import com.hazelcast.map.MapStore;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Write-through persistence of a Hazelcast map in one JDBC table ({@code id}, {@code doc}: the value as JSON text), so runs
 * and lanes survive the loss of every member: H2 in a local folder for the embedded default, PostgreSQL (or any
 * JDBC database with standard SQL) in production.
 *
 * @param <V> the map's value type
 */
public final class JdbcMapStore<V> implements MapStore<String, V> {

    private final String url;
    private final String user;
    private final String password;
    private final String table;
    private final Function<V, String> write;
    private final Function<String, V> read;
    private final boolean immutable;
    private Connection connection;

    public JdbcMapStore(String url, String user, String password, String table, Function<V, String> write,
            Function<String, V> read) {
        this(url, user, password, table, write, read, false);
    }

    /** @param immutable whether a key's value never changes: storing an existing key then only touches its row */
    private JdbcMapStore(String url, String user, String password, String table, Function<V, String> write,
            Function<String, V> read, boolean immutable) {
        if (!table.matches("[a-z_]+")) {
            throw new IllegalArgumentException("Table names are lower-case letters and underscores: " + table);
        }
        this.url = crashSafe(url);
        this.user = user;
        this.password = password;
        this.table = table;
        this.write = write;
        this.read = read;
        this.immutable = immutable;
    }

    /** The store of run records. */
    /**
     * H2 flushes committed writes to its file up to 500 ms late by default, so a killed process loses its last
     * checkpoints: write-through must mean written, so an H2 file URL gets {@code WRITE_DELAY=0} unless it sets one.
     */
    static String crashSafe(String url) {
        if (url.startsWith("jdbc:h2:file:") && !url.toUpperCase(java.util.Locale.ROOT).contains("WRITE_DELAY")) {
            return url + ";WRITE_DELAY=0";
        }
        return url;
    }

    public static JdbcMapStore<RunRecord> runs(String url, String user, String password) {
        return new JdbcMapStore<>(url, user, password, "caravan_runs", Json::write,
                json -> Frozen.record(Json.read(json, RunRecord.class)));
    }

    /**
     * The store of values kept by content hash ({@link ValueStore}): a key always names the same value, so
     * refreshing a value's expiry, which Hazelcast writes through as a store, does not rewrite it.
     */
    public static JdbcMapStore<String> values(String url, String user, String password) {
        return new JdbcMapStore<>(url, user, password, "caravan_values", Function.identity(), Function.identity(),
                true);
    }

    /** A store of JSON text values (lanes). */
    public static JdbcMapStore<String> json(String url, String user, String password, String table) {
        return new JdbcMapStore<>(url, user, password, table, Function.identity(), Function.identity());
    }

    // One connection, used by one thread at a time: partition threads call in for different keys.
    private synchronized Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = DriverManager.getConnection(url, user, password);
            try (Statement s = connection.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + table
                          + " (id VARCHAR(512) PRIMARY KEY, doc TEXT NOT NULL, updated_at BIGINT NOT NULL)");
            }
        }
        return connection;
    }

    @Override
    public synchronized void store(String key, V value) {
        try {
            Connection c = connection();
            String json = write.apply(value);
            long now = System.currentTimeMillis();
            try (PreparedStatement update = c.prepareStatement(immutable
                    ? "UPDATE " + table + " SET updated_at = ? WHERE id = ?"
                    : "UPDATE " + table + " SET doc = ?, updated_at = ? WHERE id = ?")) {
                int i = 1;
                if (!immutable) {
                    update.setString(i++, json);
                }
                update.setLong(i++, now);
                update.setString(i, key);
                if (update.executeUpdate() > 0) {
                    return;
                }
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " (id, doc, updated_at) VALUES (?, ?, ?)")) {
                insert.setString(1, key);
                insert.setString(2, json);
                insert.setLong(3, now);
                insert.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot store " + key + " in " + table + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void storeAll(Map<String, V> map) {
        map.forEach(this::store);
    }

    @Override
    public synchronized void delete(String key) {
        try (PreparedStatement s = connection().prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
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
    public synchronized V load(String key) {
        try (PreparedStatement s = connection().prepareStatement("SELECT doc FROM " + table + " WHERE id = ?")) {
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
    public synchronized Iterable<String> loadAllKeys() {
        List<String> keys = new ArrayList<>();
        try (Statement s = connection().createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot list the keys of " + table + ": " + e.getMessage(), e);
        }
        return keys;
    }
}
