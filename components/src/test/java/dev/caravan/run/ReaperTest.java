package dev.caravan.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.state.LaneStore;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** No run is ever stuck: the sweep resumes runs nobody executes and repairs lanes whose release was lost. */
class ReaperTest {

    private static DefaultCamelContext camel;
    private static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        camel = new DefaultCamelContext();
        // sweeps happen when the test asks; any run not touched for a millisecond counts as making no progress
        camel.getPropertiesComponent().addOverrideProperty("caravan.reaper.interval", "1h");
        camel.getPropertiesComponent().addOverrideProperty("caravan.reaper.stuck-after", "1ms");
        camel.start();
        engine = Engine.of(camel);
        engine.catalog().deploy(new WorkflowLoader().load("quick.caravan.yaml", """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: quick
                spec:
                  nodes:
                    - id: make
                      set: { done: true }
                  output: ${{ nodes.make.output }}
                """));
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
    }

    @Test
    void aRunLeftRunningWithNothingExecutingItIsResumed() {
        // created and owned here, but its execution never started (as when a request is lost)
        String id = engine.runs().create(RunService.StartRequest.of("quick", Map.of()));
        assertThat(engine.queries().get(id).status()).isEqualTo(RunStatus.RUNNING);

        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            engine.reaper().sweep();
            return engine.queries().get(id).status() == RunStatus.COMPLETED;
        });
        assertThat(engine.queries().get(id).output()).isEqualTo(Map.of("done", true));
        assertThat(engine.queries().get(id).takeovers()).as("its owner never left").isZero();
    }

    @Test
    void aLaneSlotHeldByARunThatEndedUnreleasedIsFreedAndTheQueueMoves() {
        engine.lanes().create("stuck-lane", "default", 1);
        // a run that took the only slot and whose member died before releasing it: no record is left
        new LaneStore(engine.hazelcast()).admit("stuck-lane", "ghost-run");
        String queued = engine.runs().create(new RunService.StartRequest("quick", Map.of(), "default", "stuck-lane",
                null, null, null));
        assertThat(engine.queries().get(queued).status()).isEqualTo(RunStatus.QUEUED);

        Reaper.Sweep sweep = engine.reaper().sweep();

        assertThat(sweep.laneRunsStarted()).containsExactly(queued);
        await().atMost(10, TimeUnit.SECONDS).until(() -> engine.queries().get(queued).status() == RunStatus.COMPLETED);
        assertThat(engine.lanes().get("stuck-lane").running()).isEmpty();
    }
}
