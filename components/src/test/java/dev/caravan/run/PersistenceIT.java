package dev.caravan.run;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import dev.caravan.state.LaneStore;
import dev.caravan.state.Mutation;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.CamelContext;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * With a persistent store, an instance that dies (its Hazelcast member terminated, no shutdown) leaves everything
 * a new instance on the same database needs: runs in flight resume, paused runs stay paused and resumable, lanes
 * keep their state.
 */
class PersistenceIT {

    private static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: durable
            spec:
              nodes:
                - id: first
                  call: { uri: "direct:effect" }
                - id: second
                  needs: [first]
                  call: { uri: "direct:effect", headers: { hang: "${{ input.hang }}" } }
                - id: ok
                  needs: [second]
                  when: ${{ input.gated }}
                  gate: { message: "Go?" }
            """;

    private static final String DEADLINE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: deadline
            spec:
              nodes:
                - id: ok
                  gate: { message: "Go?", timeout: 3s, onTimeout: approve }
            """;

    private final List<String> calls = new CopyOnWriteArrayList<>();

    private CamelContext instance(String jdbcUrl, CountDownLatch hangOnSecond) throws Exception {
        return instance(jdbcUrl, hangOnSecond, "7d");
    }

    /** A new instance on the database; stopping its context stops it. */
    private CamelContext instance(String jdbcUrl, CountDownLatch hangOnSecond, String retention) throws Exception {
        CaravanEngineExtension.Builder instance = CaravanEngineExtension.builder()
                .property("caravan.store.jdbc-url", jdbcUrl)
                .property("caravan.runs.retention", retention)
                .routes(rb -> rb.from("direct:effect").process(e -> {
                    String node = e.getMessage().getHeader("CamelCaravanNodeKey", String.class);
                    calls.add(node + "|" + e.getMessage().getHeader("CamelCaravanIdempotencyKey"));
                    if (hangOnSecond != null && node.equals("second")
                        && Boolean.TRUE.equals(e.getMessage().getHeader("hang"))) {
                        hangOnSecond.await();
                    }
                    e.getMessage().setBody("done " + node);
                }))
                .workflow("durable.caravan.yaml", FLOW)
                .workflow("deadline.caravan.yaml", DEADLINE);
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            instance.property("caravan.store.user", "postgres").property("caravan.store.password", "postgres");
        }
        return instance.build().start().camelContext();
    }

    @Test
    void aNewInstanceOnTheSameDatabaseResumesRunsInFlightAndKeepsPausedRunsPaused(@TempDir Path dir) throws Exception {
        resumesOnANewInstance("jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath());
    }

    @Test
    void aNewInstanceOnTheSamePostgresDatabaseResumesRunsInFlightAndKeepsPausedRunsPaused() throws Exception {
        try (EmbeddedPostgres pg =
                     EmbeddedPostgres.builder().start()) {
            resumesOnANewInstance(pg.getJdbcUrl("postgres", "postgres"));
        }
    }

    private static void keepLaneEvent(RunEvent e, List<RunEvent> into) {
        if ("kept".equals(e.lane()) && e.type().startsWith("caravan.lane.")) {
            into.add(e);
        }
    }

    private void resumesOnANewInstance(String url) throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            CamelContext first = instance(url, never);
            Engine a = Engine.of(first);
            List<RunEvent> laneEvents = new CopyOnWriteArrayList<>();
            a.events().subscribe(e -> keepLaneEvent(e, laneEvents));
            a.lanes().create("kept", "default", 3);
            a.events().drain(5_000);
            assertThat(laneEvents).extracting(RunEvent::type, RunEvent::sequence)
                    .containsExactly(tuple(EventTypes.LANE_CREATED, 1L));
            RunRecord paused = a.runs().start(RunService.StartRequest.of("durable", Map.of("gated", true, "hang", false)))
                    .get(10, TimeUnit.SECONDS);
            assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);

            // a run caught in flight: its second call never returns before the instance dies
            String inFlight = a.runs().create(RunService.StartRequest.of("durable", Map.of("gated", false, "hang", true)));
            a.executor().execute(inFlight);
            await().atMost(10, TimeUnit.SECONDS).until(() -> calls.stream().anyMatch(c -> c.startsWith("second|" + inFlight)));

            a.hazelcast().getLifecycleService().terminate(); // the member dies; nothing is shut down in order

            CamelContext second = instance(url, null);
            Engine b = Engine.of(second);
            assertThat(b.queries().get(paused.runId()).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
            // as the dead instance left it, unless the new one's start-up sweep has already taken the run over
            assertThat(b.queries().get(inFlight).node("second").status())
                    .isIn(NodeStatus.RUNNING, NodeStatus.COMPLETED);
            assertThat(b.lanes().get("kept").cap()).isEqualTo(3);
            // the lane's events go on numbering where the first instance left off, once its row is gone
            laneEvents.clear();
            b.events().subscribe(e -> keepLaneEvent(e, laneEvents));
            assertThat(b.lanes().cleanup("kept", Lanes.Cleanup.CANCEL)).isNull();
            b.events().drain(5_000);
            assertThat(laneEvents).extracting(RunEvent::type, RunEvent::sequence)
                    .containsExactly(tuple(EventTypes.LANE_CLEANED, 2L));

            b.runs().resumeOrphans(); // the start-up sweep may have taken it over already
            await().atMost(10, TimeUnit.SECONDS).until(() -> b.queries().get(inFlight).status() == RunStatus.COMPLETED);
            assertThat(b.queries().get(inFlight).takeovers()).isEqualTo(1);
            assertThat(calls.stream().filter(c -> c.startsWith("first|" + inFlight))).hasSize(1);
            assertThat(calls.stream().filter(c -> c.startsWith("second|" + inFlight)).distinct())
                    .containsExactly("second|" + inFlight + "/second/1");

            RunRecord approved = b.runs().resolveGate(paused.runId(), "ok", true, "ada", null).get(10, TimeUnit.SECONDS);
            assertThat(approved.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(calls.stream().filter(c -> c.contains(paused.runId()))).hasSize(2);
            second.stop();
            first.stop();
        } finally {
            never.countDown();
        }
    }

    @Test
    void finishedRunsLoadedFromTheDatabaseStillExpire(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        CamelContext first = instance(url, null, "3s");
        RunRecord done = Engine.of(first).runs().start(RunService.StartRequest.of("durable",
                Map.of("gated", false, "hang", false))).get(10, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        Engine.of(first).hazelcast().getLifecycleService().terminate();

        CamelContext second = instance(url, null, "3s");
        Engine b = Engine.of(second);
        await().atMost(20, TimeUnit.SECONDS).until(() -> b.queries().get(done.runId()) == null);
        second.stop();
        first.stop();

        // and it is gone from the database too
        CamelContext third = instance(url, null, "3s");
        assertThat(Engine.of(third).queries().get(done.runId())).isNull();
        third.stop();
    }

    @Test
    void aGateDeadlineSetBeforeARestartStillFires(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        CamelContext first = instance(url, null);
        RunRecord paused = Engine.of(first).runs().start(RunService.StartRequest.of("deadline", Map.of()))
                .get(10, TimeUnit.SECONDS);
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        Engine.of(first).hazelcast().getLifecycleService().terminate();
        first.stop();

        // the new instance finds the paused run in the database and schedules its deadline
        CamelContext second = instance(url, null);
        Engine b = Engine.of(second);
        await().atMost(20, TimeUnit.SECONDS).until(() -> b.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        assertThat(b.queries().get(paused.runId()).node("ok").output()).isInstanceOfSatisfying(Map.class,
                out -> assertThat(out.get("by")).isEqualTo("timeout"));
        second.stop();
    }

    @Test
    void anEventLeavesOnlyOnceTheDatabaseHasTheRecordItDescribes(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        CamelContext camel = instance(url, null);
        try (Connection db = DriverManager.getConnection(url + ";WRITE_DELAY=0", "sa", "")) {
            Engine engine = Engine.of(camel);
            // each event, as a subscriber gets it, against the sequence of the record in the database at that moment
            List<String> seen = new CopyOnWriteArrayList<>();
            List<String> types = new CopyOnWriteArrayList<>();
            engine.events().subscribe(e -> {
                seen.add(e.sequence() + "<=" + storedSequence(db, e.runId()));
                types.add(e.type());
            });
            RunRecord done = engine.runs().start(RunService.StartRequest.of("durable",
                    Map.of("gated", false, "hang", false))).get(10, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            engine.events().drain(5_000);
            // the last update, which also sets the finished run's expiry, publishes too
            assertThat(types).endsWith("caravan.run.completed");
            assertThat(seen).hasSizeGreaterThan(5).allSatisfy(s -> {
                String[] seqs = s.split("<=");
                assertThat(Long.parseLong(seqs[1])).as(s).isGreaterThanOrEqualTo(Long.parseLong(seqs[0]));
            });

            // a record the database refuses is not recorded, and its events do not leave
            int before = seen.size();
            try (Statement st = db.createStatement()) {
                st.execute("ALTER TABLE caravan_runs RENAME TO caravan_runs_away");
            }
            Assertions.assertThatThrownBy(() -> engine.store().apply(done.runId(),
                    new Mutation.Emit("com.example.noted", null, Map.of())))
                    .hasMessageContaining("caravan_runs");
            engine.events().drain(5_000);
            assertThat(seen).hasSize(before);
            try (Statement st = db.createStatement()) {
                st.execute("ALTER TABLE caravan_runs_away RENAME TO caravan_runs");
            }
        } finally {
            camel.close();
        }
    }

    /** The sequence of the run's record as the database holds it, or -1. */
    private static long storedSequence(Connection db, String runId) {
        try (PreparedStatement s = db.prepareStatement("SELECT doc FROM caravan_runs WHERE id = ?")) {
            s.setString(1, runId);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? ((Number) ((Map<?, ?>) Json.parse(rs.getString(1)))
                        .get("sequence")).longValue() : -1;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
