package dev.caravan.component.set;

import dev.caravan.run.RunService;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code caravan-set}: computed values are the output; a remember node also keeps them in the run's lane. */
class SetComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("keep.caravan.yaml", header("keep") + """
                        - id: keep
                          remember: { last: "${{ input.say }}" }
                    """)
            .build();

    @Test
    void theOutputIsTheMapOfComputedValuesTypedAsTheExpressionsYieldThem() throws Exception {
        caravan.deploy(header("totals") + """
                    - id: totals
                      set: { count: "${{ size(input.items) }}", label: "n=${{ size(input.items) }}", fixed: true }
                """);

        RunRecord r = caravan.run("totals", Map.of("items", List.of("a", "b")));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("totals").output()).isEqualTo(Map.of("count", 2L, "label", "n=2", "fixed", true));
    }

    @Test
    void aRememberNodeKeepsItsValuesInTheLanesMemory() throws Exception {
        caravan.engine().lanes().create("chat-1", "acme", 1);

        RunRecord r = caravan.runs().start(new RunService.StartRequest("keep", Map.of("say", "hi"), "acme", "chat-1",
                null, null, null)).get(20, TimeUnit.SECONDS);

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("keep").output()).isEqualTo(Map.of("last", "hi"));
        assertThat(caravan.engine().lanes().memory("chat-1")).isEqualTo(Map.of("last", "hi"));
    }

    @Test
    void aRememberNodeOfARunOutsideALaneFailsSayingHowToStartOne() throws Exception {
        RunRecord r = caravan.run("keep", Map.of("say", "hi"));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("keep").errorClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(r.node("keep").error()).isEqualTo("node 'keep' remembers values in the run's lane, and run "
                + r.runId() + " has none: start the run in a lane (caravan run --lane NAME)");
    }
}
