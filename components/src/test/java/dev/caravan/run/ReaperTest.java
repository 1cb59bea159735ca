package dev.caravan.run;

import dev.caravan.state.LaneStore;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** No run is ever stuck: the sweep resumes runs nobody executes and repairs lanes whose release was lost. */
class ReaperTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            // sweeps happen when the test asks; any run not touched for a millisecond counts as making no progress
            .property("caravan.reaper.interval", "1h")
            .property("caravan.reaper.stuck-after", "1ms")
            .workflow("quick.caravan.yaml", """
                    apiVersion: caravan.dev/v1
                    kind: Workflow
                    metadata:
                      name: quick
                    spec:
                      nodes:
                        - id: make
                          set: { done: true }
                      output: ${{ nodes.make.output }}
                    """)
            .build();

    @Test
    void aRunLeftRunningWithNothingExecutingItIsResumed() {
        // created and owned here, but its execution never started (as when a request is lost)
        String id = caravan.runs().create(RunService.StartRequest.of("quick", Map.of()));
        assertThat(caravan.queries().get(id).status()).isEqualTo(RunStatus.RUNNING);

        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            caravan.engine().reaper().sweep();
            return caravan.queries().get(id).status() == RunStatus.COMPLETED;
        });
        assertThat(caravan.queries().get(id).output()).isEqualTo(Map.of("done", true));
        assertThat(caravan.queries().get(id).takeovers()).as("its owner never left").isZero();
    }

    @Test
    void aLaneSlotHeldByARunThatEndedUnreleasedIsFreedAndTheQueueMoves() {
        caravan.engine().lanes().create("stuck-lane", "default", 1);
        // a run that took the only slot and whose member died before releasing it: no record is left
        new LaneStore(caravan.engine().hazelcast()).admit("stuck-lane", "ghost-run");
        String queued = caravan.runs().create(new RunService.StartRequest("quick", Map.of(), "default", "stuck-lane",
                null, null, null));
        assertThat(caravan.queries().get(queued).status()).isEqualTo(RunStatus.QUEUED);

        Reaper.Sweep sweep = caravan.engine().reaper().sweep();

        assertThat(sweep.laneRunsStarted()).containsExactly(queued);
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(queued).status() == RunStatus.COMPLETED);
        assertThat(caravan.engine().lanes().get("stuck-lane").running()).isEmpty();
    }
}
