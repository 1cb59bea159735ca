package dev.caravan.component.loop;

import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code caravan-loop}: the body runs again until its condition holds or {@code max} iterations ran. */
class LoopComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("rounds.caravan.yaml", header("rounds") + """
                        - id: until
                          loop:
                            max: 5
                            until: ${{ nodes.step.output.n >= 2 }}
                            nodes:
                              - id: step
                                set: { n: "${{ iteration }}" }
                            output: ${{ 'round ' + string(nodes.step.output.n) }}
                        - id: capped
                          loop:
                            max: 3
                            nodes:
                              - id: step
                                set: { n: "${{ iteration }}" }
                    """)
            .build();

    @Test
    void theLoopStopsOnceItsConditionHoldsAndItsOutputIsTheLastIterations() throws Exception {
        RunRecord r = caravan.run("rounds", Map.of());

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("until").output()).isEqualTo("round 2");
        assertThat(r.node("until").detail()).isEqualTo(Map.of("iterations", 3, "conditionMet", true));
        assertThat(r.nodes()).containsKeys("until[0].step", "until[1].step", "until[2].step")
                .doesNotContainKey("until[3].step");
    }

    @Test
    void withoutAConditionTheLoopRunsMaxIterationsAndOutputsItsBodysOutputs() throws Exception {
        RunRecord r = caravan.run("rounds", Map.of());

        assertThat(r.node("capped").output()).isEqualTo(Map.of("step", Map.of("n", 2L)));
        assertThat(r.node("capped").detail()).isEqualTo(Map.of("iterations", 3, "conditionMet", false));
    }
}
