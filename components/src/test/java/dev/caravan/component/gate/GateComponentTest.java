package dev.caravan.component.gate;

import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code caravan-gate}: a run pauses until someone decides, or the gate's timeout does. */
class GateComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().build();

    /** A gate with these settings, and a node that needs it. */
    private static void deployGate(String name, String gate) {
        caravan.deploy(header(name) + """
                    - id: ok
                      gate: %s
                    - id: after
                      needs: [ok]
                      set: { done: true }
                """.formatted(gate));
    }

    /** The run once it ended. */
    private static RunRecord ended(String runId) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId).status().isTerminal());
        return caravan.queries().get(runId);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> outputOf(RunRecord r, String node) {
        return (Map<String, Object>) r.node(node).output();
    }

    @Test
    void aGateWithoutAMessageAsksToApproveItsNodeAndAnApprovalSaysWhoDecided() throws Exception {
        deployGate("plain", "{}");

        RunRecord paused = caravan.run("plain", Map.of());

        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").detail()).isEqualTo(Map.of("message", "Approve ok?"));
        RunRecord done = caravan.runs().resolveGate(paused.runId(), "ok", true, "amy", "fine")
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(outputOf(done, "ok")).containsEntry("approved", true).containsEntry("by", "amy")
                .containsEntry("comment", "fine").containsKey("at");
        assertThat(done.node("after").output()).isEqualTo(Map.of("done", true));
    }

    @Test
    void aGateWhoseTimeoutPassesIsRejectedByDefault() throws Exception {
        deployGate("rejecting", "{ message: \"Go?\", timeout: 100ms }");

        RunRecord paused = caravan.run("rejecting", Map.of());
        assertThat(paused.node("ok").detail()).containsEntry("message", "Go?").containsEntry("onTimeout", "reject")
                .containsKey("deadline");
        RunRecord done = ended(paused.runId());

        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("ok").status()).isEqualTo(NodeStatus.REJECTED);
        assertThat(outputOf(done, "ok")).containsEntry("approved", false)
                .containsEntry("by", "timeout");
        assertThat(done.node("after").status()).isEqualTo(NodeStatus.SKIPPED);
    }

    @Test
    void aGateWhoseTimeoutPassesWithOnTimeoutApproveIsApproved() throws Exception {
        deployGate("approving", "{ timeout: 100ms, onTimeout: approve }");

        RunRecord done = ended(caravan.run("approving", Map.of()).runId());

        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(outputOf(done, "ok")).containsEntry("approved", true);
        assertThat(done.node("after").output()).isEqualTo(Map.of("done", true));
    }

    @Test
    void aGateWhoseTimeoutPassesWithOnTimeoutFailFailsTheRun() throws Exception {
        deployGate("failing", "{ timeout: 100ms, onTimeout: fail }");

        RunRecord done = ended(caravan.run("failing", Map.of()).runId());

        assertThat(done.status()).isEqualTo(RunStatus.FAILED);
        assertThat(done.node("ok").errorCode()).isEqualTo("GATE_TIMEOUT");
        assertThat(done.node("ok").error()).isEqualTo("gate ok timed out");
    }
}
