package dev.caravan.run;

import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pages of runs: newest first, stable cursors, filters by tenant, workflow and status. */
class RunQueriesTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("done.caravan.yaml", header("done") + """
                        - id: a
                          set: { x: 1 }
                    """)
            .workflow("gated.caravan.yaml", header("gated") + """
                        - id: a
                          gate: { message: ok? }
                    """)
            .build();
    private static Engine engine;
    /** Runs made here, newest first: 6 of "done" (3 per tenant), 2 paused at a gate, and one more of "done". */
    private static final List<RunRecord> made = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        engine = caravan.engine();
        for (int i = 0; i < 6; i++) {
            String tenant = i % 2 == 0 ? "acme" : "globex";
            made.add(engine.runs().start(new RunService.StartRequest("done", Map.of("i", i), tenant, null, null, null,
                    null)).get(20, TimeUnit.SECONDS));
        }
        for (int i = 0; i < 2; i++) {
            made.add(engine.runs().start(RunService.StartRequest.of("gated", Map.of())).get(20, TimeUnit.SECONDS));
        }
        made.sort(Comparator.comparingLong(RunRecord::createdAt).thenComparing(RunRecord::runId).reversed());
    }

    @Test
    void pagesListEveryRunOnceNewestFirst() {
        List<RunRecord> paged = all(engine.queries(), new RunQuery(null, null, List.of(), 3, null));
        assertThat(paged).hasSizeGreaterThanOrEqualTo(8);
        assertThat(ids(paged)).containsExactlyElementsOf(ids(made));
    }

    @Test
    void theLastPageHasNoNextCursor() {
        RunPage page = engine.queries().page(new RunQuery(null, null, List.of(), made.size(), null));
        assertThat(page.runs()).hasSize(made.size());
        assertThat(page.next()).isNull();
    }

    @Test
    void aRunCreatedAfterTheFirstPageDoesNotShiftTheNextOne() throws Exception {
        RunQuery query = new RunQuery(null, "done", List.of(), 2, null);
        RunPage first = engine.queries().page(query);
        List<String> expected = ids(made.stream().filter(r -> r.workflow().equals("done")).toList());
        RunRecord newer = engine.runs().start(RunService.StartRequest.of("done", Map.of())).get(20, TimeUnit.SECONDS);
        made.add(0, newer); // the other tests see it too
        List<RunRecord> rest = all(engine.queries(), query.after(first.next()));
        assertThat(ids(first.runs())).containsExactlyElementsOf(expected.subList(0, 2));
        assertThat(ids(rest)).containsExactlyElementsOf(expected.subList(2, expected.size()))
                .doesNotContain(newer.runId());
    }

    @Test
    void filtersByTenantWorkflowAndStatus() {
        assertThat(all(engine.queries(), new RunQuery("acme", null, List.of(), 2, null)))
                .extracting(RunRecord::tenant).hasSize(3).containsOnly("acme");
        assertThat(all(engine.queries(), new RunQuery(null, "gated", List.of(), 10, null)))
                .extracting(RunRecord::workflow).hasSize(2).containsOnly("gated");
        assertThat(all(engine.queries(), new RunQuery(null, null, List.of(RunStatus.AWAITING_APPROVAL), 10, null)))
                .extracting(RunRecord::workflow).hasSize(2).containsOnly("gated");
        assertThat(all(engine.queries(), new RunQuery("globex", "done", List.of(RunStatus.COMPLETED, RunStatus.FAILED), 10, null)))
                .hasSize(3);
        assertThat(all(engine.queries(), new RunQuery("initech", null, List.of(), 10, null))).isEmpty();
    }

    @Test
    void aBadCursorOrPageSizeIsRefused() {
        assertThatThrownBy(() -> new RunQuery(null, null, List.of(), 10, "yesterday"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Not a page cursor: yesterday");
        assertThatThrownBy(() -> new RunQuery(null, null, List.of(), 0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("A page holds 1 to 1000 runs but 0 were asked for");
    }
}
