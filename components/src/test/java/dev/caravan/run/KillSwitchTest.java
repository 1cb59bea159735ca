package dev.caravan.run;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Kill switches: no new run starts, and running runs end cancelled at their next node boundary. */
class KillSwitchTest {

    private static volatile CountDownLatch inSlowNode = new CountDownLatch(1);
    private static volatile CountDownLatch releaseSlowNode = new CountDownLatch(1);

    private static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: %s
            spec:
              nodes:
                - id: slow
                  call: { uri: "direct:slow" }
                - id: answer
                  needs: [slow]
                  agent: { model: scripted, prompt: "never asked" }
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .routes(rb -> rb.from("direct:slow").process(e -> {
                inSlowNode.countDown();
                releaseSlowNode.await(10, TimeUnit.SECONDS);
                e.getMessage().setBody("slow done");
            }))
            .workflow("a.caravan.yaml", FLOW.formatted("switched"))
            .workflow("b.caravan.yaml", FLOW.formatted("unaffected"))
            .build();

    @AfterEach
    void clearSwitches() {
        for (KillSwitches.Scope scope : KillSwitches.Scope.values()) {
            caravan.engine().killSwitches().clear(scope, "switched");
            caravan.engine().killSwitches().clear(scope, "acme");
        }
        releaseSlowNode.countDown();
    }

    @Test
    void runningRunStopsAtTheNextNodeBoundaryBeforeItsLlmCall() throws Exception {
        inSlowNode = new CountDownLatch(1);
        releaseSlowNode = new CountDownLatch(1);
        CompletableFuture<RunRecord> run = caravan.runs().start(RunService.StartRequest.of("switched", Map.of()));
        assertThat(inSlowNode.await(10, TimeUnit.SECONDS)).isTrue();

        caravan.engine().killSwitches().set(KillSwitches.Scope.WORKFLOW, "switched", "runaway costs");
        releaseSlowNode.countDown();

        RunRecord r = run.get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(r.error()).isEqualTo("stopped by kill switch: runaway costs");
        assertThat(r.node("slow").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(r.node("answer")).isNull();
    }

    @Test
    void noNewRunStartsWhileASwitchIsSetAndOtherWorkflowsAreUnaffected() throws Exception {
        releaseSlowNode = new CountDownLatch(0);
        caravan.engine().killSwitches().set(KillSwitches.Scope.WORKFLOW, "switched", "maintenance");
        assertThatThrownBy(() -> caravan.runs().start(RunService.StartRequest.of("switched", Map.of())))
                .isInstanceOf(KillSwitchException.class)
                .hasMessage("Run of workflow switched refused: stopped by kill switch: maintenance");
        assertThat(caravan.runs().start(RunService.StartRequest.of("unaffected", Map.of())).get(10, TimeUnit.SECONDS)
                .status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void tenantAndGlobalSwitchesApplyToEveryWorkflowOfTheirScope() throws Exception {
        releaseSlowNode = new CountDownLatch(0);
        caravan.engine().killSwitches().set(KillSwitches.Scope.TENANT, "acme", "unpaid");
        assertThatThrownBy(() -> caravan.runs().start(new RunService.StartRequest("unaffected", Map.of(), "acme",
                null, null, null, null))).isInstanceOf(KillSwitchException.class).hasMessageContaining("unpaid");
        assertThat(caravan.runs().start(RunService.StartRequest.of("unaffected", Map.of())).get(10, TimeUnit.SECONDS)
                .status()).isEqualTo(RunStatus.COMPLETED);

        caravan.engine().killSwitches().set(KillSwitches.Scope.GLOBAL, null, "incident");
        try {
            assertThatThrownBy(() -> caravan.runs().start(RunService.StartRequest.of("unaffected", Map.of())))
                    .isInstanceOf(KillSwitchException.class).hasMessageContaining("incident");
            assertThat(caravan.engine().killSwitches().active()).containsEntry("*", "incident")
                    .containsEntry("tenant:acme", "unpaid");
        } finally {
            caravan.engine().killSwitches().clear(KillSwitches.Scope.GLOBAL, null);
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> caravan.engine().killSwitches().active().get("*") == null);
    }

    @Test
    void settingAndClearingASwitchPublishEventsNumberedPerSwitch() throws Exception {
        List<RunEvent> seen = new CopyOnWriteArrayList<>();
        String runId = caravan.engine().killSwitches().eventRunId("tenant:acme");
        assertThat(runId).startsWith("killswitch:tenant:acme@");
        try (AutoCloseable subscription = caravan.engine().events().subscribe(e -> {
            if (e.runId().equals(runId)) {
                seen.add(e);
            }
        })) {
            KillSwitches switches = caravan.engine().killSwitches();
            switches.set(KillSwitches.Scope.TENANT, "acme", "unpaid");
            // the same reason again changes nothing, and clearing twice clears once
            switches.set(KillSwitches.Scope.TENANT, "acme", "unpaid");
            switches.clear(KillSwitches.Scope.TENANT, "acme");
            switches.clear(KillSwitches.Scope.TENANT, "acme");
            assertThat(caravan.engine().events().drain(5_000)).isTrue();
        }

        assertThat(seen).extracting(RunEvent::type)
                .containsExactly(EventTypes.KILL_SWITCH_SET, EventTypes.KILL_SWITCH_CLEARED);
        assertThat(seen).extracting(RunEvent::tenant).containsOnly("acme");
        long first = seen.get(0).sequence();
        assertThat(seen.get(1).sequence()).isEqualTo(first + 1);
        assertThat(seen.get(0).data()).isEqualTo(Map.of("scope", "tenant", "target", "acme", "reason", "unpaid"));
    }
}
