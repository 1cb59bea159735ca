package dev.caravan.component.fail;

import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code caravan-fail}: the run fails with the node's message and code, FAILED unless the node names one. */
class FailComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("guarded.caravan.yaml", header("guarded") + """
                        - id: check
                          set: { quantity: "${{ input.quantity }}" }
                        - id: guard
                          needs: [check]
                          when: ${{ input.quantity > 10 }}
                          fail: { message: "Too many: ${{ input.quantity }}" }
                        - id: coded
                          needs: [check]
                          when: ${{ has(input.code) }}
                          fail: { message: "Stopped", code: "${{ input.code }}" }
                        - id: after
                          needs: [check, guard, coded]
                          set: { passed: true }
                    """)
            .build();

    @Test
    void theRunFailsWithTheMessageAndTheCodeFailedByDefault() throws Exception {
        RunRecord r = caravan.run("guarded", Map.of("quantity", 12));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.error()).isEqualTo("Too many: 12");
        assertThat(r.errorCode()).isEqualTo("FAILED");
        assertThat(r.node("guard").status()).isEqualTo(NodeStatus.FAILED);
        assertThat(r.node("after")).isNull();
    }

    @Test
    void theCodeIsATemplate() throws Exception {
        RunRecord r = caravan.run("guarded", Map.of("quantity", 1, "code", "OUT_OF_STOCK"));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("coded").errorCode()).isEqualTo("OUT_OF_STOCK");
        assertThat(r.errorCode()).isEqualTo("OUT_OF_STOCK");
    }

    @Test
    void aFailNodeWhoseConditionIsFalseIsSkipped() throws Exception {
        RunRecord r = caravan.run("guarded", Map.of("quantity", 1));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("guard").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(r.node("after").output()).isEqualTo(Map.of("passed", true));
    }
}
