package dev.caravan.run;

import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Bounded state: finished runs expire, and neither an input nor a node output over the cap is recorded. */
class RetentionTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.runs.retention", "1s")
            .property("caravan.runs.max-value-bytes", "2000")
            .workflow("sizes.caravan.yaml", """
                    apiVersion: caravan.dev/v1
                    kind: Workflow
                    metadata:
                      name: sizes
                    spec:
                      nodes:
                        - id: make
                          set: { text: "${{ input.text + input.text }}" }
                    """)
            .build();

    @Test
    void finishedRunsExpireAfterTheRetention() throws Exception {
        RunRecord r = caravan.runs().start(RunService.StartRequest.of("sizes", Map.of("text", "small")))
                .get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(caravan.engine().retention()).hasSeconds(1);
        await().atMost(15, TimeUnit.SECONDS).until(() -> caravan.queries().get(r.runId()) == null);
    }

    @Test
    void anOutputOverTheCapFailsTheNodeWithAClearError() throws Exception {
        RunRecord r = caravan.runs().start(RunService.StartRequest.of("sizes", Map.of("text", "y".repeat(1500))))
                .get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("make");
        assertThat(r.node("make").errorClass()).endsWith("ValueTooLargeException");
        assertThat(r.error()).startsWith("Output of node make is 30").contains("over the limit of 2000 bytes");
        assertThat(r.node("make").output()).isNull();
    }

    @Test
    void anInputOverTheCapIsRefusedBeforeTheRunExists() {
        RunService.StartRequest request = RunService.StartRequest.of("sizes", Map.of("text", "y".repeat(2500)));
        assertThatThrownBy(() -> caravan.runs().start(request)).isInstanceOf(InvalidInputException.class)
                .hasMessage("Invalid input for workflow sizes: the input is more than 2000 bytes of JSON, the limit for"
                        + " a value a run records; raise it with the property caravan.runs.max-value-bytes");
    }
}
