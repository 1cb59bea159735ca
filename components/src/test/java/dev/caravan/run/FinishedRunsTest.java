package dev.caravan.run;

import com.hazelcast.map.IMap;
import dev.caravan.json.Json;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.Mutation;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

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
 * Without a database, finished runs leave the run map for the packed map of finished runs, and are read by id and
 * listed in pages from there, as the runs they were, for the retention.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FinishedRunsTest {

    private static final String LANE = "kept-lane";

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("done.caravan.yaml", header("done") + """
                        - id: a
                          set: { x: "${{ input.i }}" }
                        - id: b
                          needs: [a]
                          set: { y: "${{ nodes.a.output.x + 1 }}" }
                    """)
            .workflow("gated.caravan.yaml", header("gated") + """
                        - id: a
                          gate: { message: ok? }
                    """)
            .build();
    private static Engine engine;
    /** Newest first: 5 finished runs and one paused at a gate between them. */
    private static final List<RunRecord> made = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        engine = caravan.engine();
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
        IMap<String, RunRecord> runs = engine.hazelcast().getMap(HazelcastRunStore.MAP_NAME);
        await().atMost(30, TimeUnit.SECONDS).until(() -> made.stream()
                .filter(r -> r.status() == RunStatus.COMPLETED).noneMatch(r -> runs.containsKey(r.runId())));
    }

    @Test
    void aFinishedRunLeavesTheRunMapAndIsReadByIdAsItWas() {
        IMap<String, RunRecord> runs = engine.hazelcast().getMap(HazelcastRunStore.MAP_NAME);
        IMap<String, Object> finished = engine.hazelcast().getMap(HazelcastRunStore.FINISHED_MAP_NAME);
        for (RunRecord r : made) {
            boolean done = r.status() == RunStatus.COMPLETED;
            assertThat(runs.containsKey(r.runId())).as(r.runId()).isEqualTo(!done);
            assertThat(finished.containsKey(r.runId())).as(r.runId()).isEqualTo(done);
            assertThat(Json.write(engine.queries().get(r.runId()))).isEqualTo(Json.write(r));
        }
        assertThat(made).filteredOn(r -> r.workflow().equals("done"))
                .allSatisfy(r -> assertThat(engine.queries().get(r.runId()).node("b").output())
                        .isEqualTo(Map.of("y", ((Number) ((Map<?, ?>) r.input()).get("i")).intValue() + 1)));
    }

    @Test
    void pagesListFinishedAndHeldRunsTogetherNewestFirst() {
        assertThat(ids(all(engine.queries(), new RunQuery(null, null, List.of(), 2, null)))).containsExactlyElementsOf(ids(made));
        assertThat(ids(all(engine.queries(), new RunQuery(null, null, List.of(), 100, null)))).containsExactlyElementsOf(ids(made));
        assertThat(all(engine.queries(), new RunQuery("acme", "done", List.of(RunStatus.COMPLETED), 1, null)))
                .extracting(RunRecord::tenant).hasSize(3).containsOnly("acme");
        assertThat(all(engine.queries(), new RunQuery(null, null, List.of(RunStatus.AWAITING_APPROVAL), 10, null)))
                .extracting(RunRecord::workflow).containsExactly("gated");
        RunPage first = engine.queries().page(new RunQuery(null, null, List.of(), 3, null));
        assertThat(first.next()).isEqualTo(RunPage.Cursor.of(made.get(2)).toString());
        // a packed run is selected by its lane too
        assertThat(all(engine.queries(), new RunQuery(null, null, List.of(), 10, null, LANE)))
                .extracting(RunRecord::lane).containsExactly(LANE);
    }

    @Test
    @Order(Integer.MAX_VALUE) // it changes a run the others look at
    void aFinishedRunThatLeftTheRunMapIsStillTheRunUpdatesSee() {
        RunRecord done = made.get(0);
        Mutation.Result again = engine.store().apply(done.runId(), new Mutation.CreateRun(done.runId(), "done",
                done.workflowHash(), "acme", null, Map.of(), null, null));
        assertThat(again.accepted()).isFalse();
        assertThat(again.reason()).isEqualTo("run exists");
        Mutation.Result noted = engine.store().apply(done.runId(), new Mutation.Emit("com.example.noted", null,
                Map.of()));
        assertThat(noted.accepted()).isTrue();
        assertThat(noted.record().sequence()).isEqualTo(done.sequence() + 1);
        assertThat(engine.queries().get(done.runId()).sequence()).isEqualTo(done.sequence() + 1);
        assertThat(engine.queries().get(done.runId()).status()).isEqualTo(RunStatus.COMPLETED);
    }
}
