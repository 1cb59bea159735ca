package dev.caravan.state;

import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.event.RunEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The JDBC store on a real H2 file database: rows stored by several threads at once are committed together (group
 * commit), each store returns only once its row is committed, and a row the database refuses fails its own store only,
 * which releases none of its events.
 */
class JdbcMapStoreTest {

    @TempDir
    Path dir;
    private HikariDataSource pool;
    private final List<Thread> writerThreads = new CopyOnWriteArrayList<>();
    private ExecutorService writers;

    @BeforeEach
    void open() {
        pool = JdbcMapStore.pool("jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath(), "sa", "", 8);
        writers = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "writer-" + writerThreads.size());
            writerThreads.add(t);
            return t;
        });
    }

    @AfterEach
    void close() {
        writers.shutdownNow();
        pool.close();
    }

    @Test
    void concurrentStoresAreEachCommittedWhenTheyReturn() throws Exception {
        JdbcMapStore<String> store = JdbcMapStore.json(pool, "caravan_lanes");
        List<Future<?>> stores = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            stores.add(writers.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    String key = thread + "-" + i;
                    store.store(key, "{\"v\":1}");
                    // read on another connection: only a committed row is visible there
                    assertThat(committedDoc("caravan_lanes", key)).isEqualTo("{\"v\":1}");
                    store.store(key, "{\"v\":2}");
                    assertThat(committedDoc("caravan_lanes", key)).isEqualTo("{\"v\":2}");
                }
                return null;
            }));
        }
        for (Future<?> f : stores) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertThat(store.loadAllKeys()).hasSize(400);
        assertThat(store.load("7-49")).isEqualTo("{\"v\":2}");
    }

    @Test
    void rowsQueuedWhileATransactionCommitsAreCommittedTogetherInTheNextOne() throws Exception {
        List<List<String>> transactions = new CopyOnWriteArrayList<>();
        GroupCommit<String> commits = heldFirstTransaction(transactions, 4);

        Future<?> first = writers.submit(() -> write(commits, "first"));
        List<Future<?>> queued = queueWhileTheFirstCommits(commits, "a", "b", "c", "d");

        first.get(30, TimeUnit.SECONDS);
        for (Future<?> f : queued) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(transactions).hasSize(2);
        assertThat(transactions.get(0)).containsExactly("first");
        assertThat(transactions.get(1)).containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(committedKeys()).containsExactlyInAnyOrder("first", "a", "b", "c", "d");
    }

    @Test
    void aRowTheDatabaseRefusesFailsItsOwnStoreAndTheOthersOfItsTransactionAreWrittenAlone() throws Exception {
        List<List<String>> transactions = new CopyOnWriteArrayList<>();
        GroupCommit<String> commits = heldFirstTransaction(transactions, 3);
        String tooLong = "k".repeat(600);

        Future<?> first = writers.submit(() -> write(commits, "first"));
        List<Future<?>> queued = queueWhileTheFirstCommits(commits, "a", "b", tooLong);

        first.get(30, TimeUnit.SECONDS);
        queued.get(0).get(30, TimeUnit.SECONDS);
        queued.get(1).get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> queued.get(2).get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalStateException.class)
                .cause().isInstanceOf(SQLException.class).hasMessageContaining("Value too long");
        // the transaction of the three failed as a whole, then each row was written alone
        assertThat(transactions).hasSize(5);
        assertThat(transactions.get(1)).containsExactlyInAnyOrder("a", "b", tooLong);
        assertThat(transactions.subList(2, 5)).containsExactlyInAnyOrder(List.of("a"), List.of("b"), List.of(tooLong));
        assertThat(committedKeys()).containsExactlyInAnyOrder("first", "a", "b");
        // and the next transaction commits again
        commits.write("after");
        assertThat(committedKeys()).containsExactlyInAnyOrder("first", "a", "b", "after");
    }

    @Test
    void aStoreThatFailsThrowsAndReleasesNoneOfItsEvents() {
        List<RunEvent> published = new CopyOnWriteArrayList<>();
        CommittedEvents<String> committed = new CommittedEvents<>(JdbcMapStore.json(pool, "caravan_lanes"),
                published::addAll, RunEvent::runId);
        // longer than the id column: the database refuses the row
        String tooLong = "r".repeat(600);
        committed.publish(List.of(event(tooLong)));
        assertThatThrownBy(() -> committed.store(tooLong, "{}")).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Cannot store " + tooLong + " in caravan_lanes");
        assertThat(published).isEmpty();

        committed.publish(List.of(event("kept")));
        committed.store("kept", "{}");
        assertThat(published).extracting(RunEvent::runId).containsExactly("kept");
    }

    /**
     * Group commit of rows into a table of its own, whose first transaction lasts until {@code queued} more writers
     * wait for the next one; records each transaction's rows.
     */
    private GroupCommit<String> heldFirstTransaction(List<List<String>> transactions, int queued) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE rows (id VARCHAR(512) PRIMARY KEY)");
        }
        return new GroupCommit<>(pool::getConnection, (c, rows) -> {
            transactions.add(List.copyOf(rows));
            if (transactions.size() == 1) {
                await().atMost(10, TimeUnit.SECONDS).until(() -> writerThreads.size() == 1 + queued && writerThreads.stream()
                        .skip(1).allMatch(t -> t.getState() == Thread.State.WAITING));
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO rows (id) VALUES (?)")) {
                for (String row : rows) {
                    insert.setString(1, row);
                    insert.executeUpdate();
                }
            }
        });
    }

    /** Writes the rows from threads of their own once the first transaction is being written. */
    private List<Future<?>> queueWhileTheFirstCommits(GroupCommit<String> commits, String... rows) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> !writerThreads.isEmpty());
        List<Future<?>> queued = new ArrayList<>();
        for (String row : rows) {
            queued.add(writers.submit(() -> write(commits, row)));
        }
        return queued;
    }

    private static Void write(GroupCommit<String> commits, String row) {
        try {
            commits.write(row);
            return null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RunEvent event(String runId) {
        return new RunEvent("com.example.noted", runId, 1, 0, "w", "default", null, null, null, null);
    }

    private String committedDoc(String table, String key) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT doc FROM " + table + " WHERE id = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private List<String> committedKeys() throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM rows")) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }
}
