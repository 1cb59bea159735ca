package dev.caravan.component.run;

import dev.caravan.run.RunConflictException;
import dev.caravan.run.RunService;
import dev.caravan.run.UnknownRunException;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code caravan-run:resolve}: a gate approved or rejected from a message, as from a chat button's callback. */
class GateDecisionTest {

    private static final String REFUND = header("refund") + """
                - id: approve
                  gate: { message: "Refund?" }
                - id: pay
                  needs: [approve]
                  set: { text: "paid" }
              output: ${{ nodes.approve.output.approved }}
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("refund.caravan.yaml", REFUND)
            .build();

    private static String waitingRun(String tenant) throws Exception {
        RunRecord r = caravan.runs().start(new RunService.StartRequest("refund", Map.of(), tenant, null, null, null,
                null)).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        return r.runId();
    }

    @Test
    void approvesAGateFromAJsonMessageAndTheRunGoesOn() throws Exception {
        String runId = waitingRun("acme");
        String route = caravan.startRoute("caravan-run:resolve?tenant=acme");

        Exchange sent = caravan.request(route, "{\"runId\": \"" + runId + "\", \"node\": \"approve\", "
                + "\"decision\": \"approve\", \"comment\": \"fine\", \"by\": \"ada\"}");

        assertThat(sent.getException()).isNull();
        assertThat(sent.getMessage().getBody()).isEqualTo(runId);
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId).status() == RunStatus.COMPLETED);
        RunRecord done = caravan.queries().get(runId);
        assertThat(done.output()).isEqualTo(true);
        assertThat(done.node("approve").output()).asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("approved", true).containsEntry("by", "ada")
                .containsEntry("comment", "fine");
    }

    @Test
    void rejectsFromAMapAndRefusesASecondDecision() throws Exception {
        String runId = waitingRun("acme");
        String route = caravan.startRoute("caravan-run:resolve");
        Map<String, Object> reject = Map.of("runId", runId, "node", "approve", "decision", "reject");

        assertThat(caravan.request(route, reject).getException()).isNull();
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId).status() == RunStatus.COMPLETED);

        assertThat(caravan.request(route, reject).getException()).isInstanceOf(RunConflictException.class)
                .hasMessageContaining("approve");
    }

    @Test
    void findsNoRunOfAnotherTenantAndRefusesABodyItCannotRead() throws Exception {
        String runId = waitingRun("other");
        String route = caravan.startRoute("caravan-run:resolve?tenant=acme");

        assertThat(caravan.request(route, Map.of("runId", runId, "node", "approve", "decision", "approve"))
                .getException()).isInstanceOf(UnknownRunException.class);
        assertThat(caravan.queries().get(runId).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(caravan.request(route, Map.of("runId", runId, "node", "approve", "decision", "maybe"))
                .getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("approve or reject");
        assertThat(caravan.request(route, "not json").getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expects a JSON object");
        assertThat(caravan.request(route, Map.of("node", "approve", "decision", "approve")).getException())
                .hasMessageContaining("needs \"runId\"");
    }
}
