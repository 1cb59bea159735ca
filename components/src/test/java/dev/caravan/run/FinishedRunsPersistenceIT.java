package dev.caravan.run;

import com.hazelcast.map.IMap;
import dev.caravan.json.Json;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.run.RunPages.all;
import static dev.caravan.run.RunPages.ids;
import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With a database, finished runs leave the heap: their entries leave the run map soon after they finish, reads by id
 * load them back from the database (until the next sweep), pages read them with SQL, and the retention deletes their
 * rows.
 */
class FinishedRunsPersistenceIT {

    private static final String LANE = "kept-lane";

    private static final String DONE = header("done") + """
                - id: a
                  set: { x: "${{ input.i }}" }
                - id: b
                  needs: [a]
                  set: { y: "${{ nodes.a.output.x + 1 }}" }
            """;
    private static final String GATED = header("gated") + """
                - id: a
                  gate: { message: ok? }
            """;

    /** A new instance on the database; stopping its context stops it. */
    private static CamelContext instance(String jdbcUrl, String retention) throws Exception {
        CaravanEngineExtension.Builder instance = CaravanEngineExtension.builder()
                .property("caravan.store.jdbc-url", jdbcUrl)
                .property("caravan.runs.retention", retention)
                .property("caravan.reaper.interval", "1s")
                .workflow("done.caravan.yaml", DONE)
                .workflow("gated.caravan.yaml", GATED);
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            instance.property("caravan.store.user", "postgres").property("caravan.store.password", "postgres");
        }
        return instance.build().start().camelContext();
    }

    /** Five finished runs and one paused between them, newest first. */
    private static List<RunRecord> startRuns(Engine engine) throws Exception {
        List<RunRecord> made = new ArrayList<>();
        // the last run is started in a lane: pages select by lane too
        engine.lanes().create(LANE, "acme", 5);
        for (int i = 0; i < 5; i++) {
            made.add(engine.runs().start(new RunService.StartRequest("done", Map.of("i", i), i % 2 == 0 ? "acme"
                    : "globex", i == 4 ? LANE : null, null, null, null)).get(20, TimeUnit.SECONDS));
            if (i == 2) {
                made.add(engine.runs().start(RunService.StartRequest.of("gated", Map.of())).get(20, TimeUnit.SECONDS));
            }
        }
        made.sort(Comparator.comparingLong(RunRecord::createdAt).thenComparing(RunRecord::runId).reversed());
        return made;
    }

    /** Whether the run's record is in this member's heap (a key set that does not load from the database). */
    private static boolean held(Engine engine, String runId) {
        IMap<String, RunRecord> runs = engine.hazelcast().getMap(HazelcastRunStore.MAP_NAME);
        return runs.localKeySet().contains(runId);
    }

    @Test
    void finishedRunsLeaveTheHeapAndAreReadAndPagedFromTheDatabaseAfterARestartToo(@TempDir Path dir)
            throws Exception {
        readsFinishedRunsFromTheDatabase("jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath());
    }

    @Test
    void finishedRunsAreReadAndPagedFromPostgres() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            readsFinishedRunsFromTheDatabase(pg.getJdbcUrl("postgres", "postgres"));
        }
    }

    private void readsFinishedRunsFromTheDatabase(String url) throws Exception {
        CamelContext first = instance(url, "7d");
        Engine a = Engine.of(first);
        List<RunRecord> made = startRuns(a);
        List<RunRecord> finished = made.stream().filter(r -> r.status() == RunStatus.COMPLETED).toList();
        await().atMost(30, TimeUnit.SECONDS).until(() -> finished.stream().noneMatch(r -> held(a, r.runId())));
        assertThat(held(a, made.stream().filter(r -> r.workflow().equals("gated")).findFirst().orElseThrow()
                .runId())).as("a paused run stays").isTrue();

        for (RunRecord r : made) {
            assertThat(Json.write(a.queries().get(r.runId()))).isEqualTo(Json.write(r));
        }
        // read back, a finished run leaves the heap again at the next sweep
        await().atMost(30, TimeUnit.SECONDS).until(() -> finished.stream().noneMatch(r -> held(a, r.runId())));

        assertThat(ids(all(a.queries(), new RunQuery(null, null, List.of(), 2, null)))).containsExactlyElementsOf(ids(made));
        assertThat(Json.write(all(a.queries(), new RunQuery(null, null, List.of(), 100, null)))).isEqualTo(Json.write(made));
        assertThat(all(a.queries(), new RunQuery("acme", "done", List.of(RunStatus.COMPLETED), 1, null)))
                .extracting(RunRecord::tenant).hasSize(3).containsOnly("acme");
        assertThat(all(a.queries(), new RunQuery(null, null, List.of(RunStatus.AWAITING_APPROVAL), 10, null)))
                .extracting(RunRecord::workflow).containsExactly("gated");
        assertThat(all(a.queries(), new RunQuery("initech", null, List.of(), 10, null))).isEmpty();
        assertThat(all(a.queries(), new RunQuery(null, null, List.of(), 10, null, LANE)))
                .extracting(RunRecord::runId).containsExactly(made.stream().filter(r -> LANE.equals(r.lane()))
                        .findFirst().orElseThrow().runId());
        RunPage firstPage = a.queries().page(new RunQuery(null, null, List.of(), 3, null));
        assertThat(firstPage.next()).isEqualTo(RunPage.Cursor.of(made.get(2)).toString());

        // a member that dies and a new one on the same database: the finished runs are still listed and read
        a.hazelcast().getLifecycleService().terminate();
        CamelContext second = instance(url, "7d");
        Engine b = Engine.of(second);
        assertThat(ids(all(b.queries(), new RunQuery(null, null, List.of(), 4, null)))).containsExactlyElementsOf(ids(made));
        assertThat(Json.write(b.queries().get(finished.get(0).runId()))).isEqualTo(Json.write(finished.get(0)));
        second.stop();
        first.stop();
    }

    @Test
    void theRetentionDeletesFinishedRunsFromTheDatabase(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        CamelContext camel = instance(url, "3s");
        Engine engine = Engine.of(camel);
        RunRecord done = engine.runs().start(RunService.StartRequest.of("done", Map.of("i", 1)))
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        try (Connection db = DriverManager.getConnection(url + ";WRITE_DELAY=0", "sa", "")) {
            assertThat(rows(db, done.runId())).isEqualTo(1);
            await().atMost(30, TimeUnit.SECONDS).until(() -> rows(db, done.runId()) == 0);
            assertThat(engine.queries().get(done.runId())).isNull();
            assertThat(held(engine, done.runId())).isFalse();
            assertThat(engine.queries().page(new RunQuery(null, "done", List.of(), 10, null)).runs()).isEmpty();
        } finally {
            camel.stop();
        }
    }

    @Test
    void aTableOfAnOlderVersionGetsTheColumnsPagesSelectOn(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        CamelContext first = instance(url, "7d");
        List<RunRecord> made = startRuns(Engine.of(first));
        first.stop();
        try (Connection db = DriverManager.getConnection(url + ";WRITE_DELAY=0", "sa", ""); Statement s = db.createStatement()) {
            // the table as versions before these columns made it
            s.execute("DROP INDEX caravan_runs_by_created_at");
            s.execute("DROP INDEX caravan_runs_by_updated_at");
            s.execute("DROP INDEX caravan_runs_by_lane");
            for (String column : List.of("status", "tenant", "workflow", "created_at", "lane")) {
                s.execute("ALTER TABLE caravan_runs DROP COLUMN " + column);
            }
        }
        CamelContext second = instance(url, "7d");
        Engine b = Engine.of(second);
        assertThat(ids(all(b.queries(), new RunQuery(null, null, List.of(), 2, null)))).containsExactlyElementsOf(ids(made));
        assertThat(all(b.queries(), new RunQuery("globex", null, List.of(RunStatus.COMPLETED), 10, null)))
                .extracting(RunRecord::tenant).hasSize(2).containsOnly("globex");
        assertThat(all(b.queries(), new RunQuery(null, null, List.of(), 10, null, LANE))).extracting(RunRecord::lane)
                .containsExactly(LANE);
        second.stop();
    }

    private static int rows(Connection db, String runId) {
        try (PreparedStatement s = db.prepareStatement("SELECT COUNT(*) FROM caravan_runs WHERE id = ?")) {
            s.setString(1, runId);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
