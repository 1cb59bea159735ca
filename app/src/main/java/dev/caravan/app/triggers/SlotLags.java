package dev.caravan.app.triggers;

import dev.caravan.app.triggers.TriggerStatus.SlotLag;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Reads how far cdc triggers' replication slots are behind the write-ahead log, over JDBC with the connection settings
 * the triggers use ({@code caravan.triggers.cdc.*}). The PostgreSQL driver Debezium brings is found by its URL; the
 * connection and the query time out, so a database that does not answer gives a lag unknown with the reason.
 */
final class SlotLags {

    private static final String QUERY = "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) "
                                        + "FROM pg_replication_slots WHERE slot_name = ?";

    /** The database's settings, as the cdc triggers' routes resolve them. */
    record Database(String host, String port, String database, String user, String password) {
    }

    private final Duration timeout;

    SlotLags(Duration timeout) {
        this.timeout = timeout;
    }

    SlotLag read(Database db, String slot) {
        Properties props = new Properties();
        props.setProperty("user", db.user());
        props.setProperty("password", db.password());
        String seconds = String.valueOf(Math.max(1, timeout.toSeconds()));
        props.setProperty("connectTimeout", seconds);
        props.setProperty("loginTimeout", seconds);
        props.setProperty("socketTimeout", seconds);
        props.setProperty("ApplicationName", "caravan-trigger-lag");
        String url = "jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database();
        try (Connection c = DriverManager.getConnection(url, props);
             PreparedStatement s = c.prepareStatement(QUERY)) {
            s.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
            s.setString(1, slot);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return new SlotLag(slot, null, false, "the database has no replication slot " + slot + " (yet)");
                }
                boolean active = rs.getBoolean(1);
                long bytes = rs.getLong(2);
                return new SlotLag(slot, rs.wasNull() ? null : bytes, active, null);
            }
        } catch (SQLException e) {
            return new SlotLag(slot, null, false, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
