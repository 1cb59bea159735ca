package dev.caravan.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventTypes;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Replay: executing a run's route again decides nothing new and repeats no side effect, runs of the same input
 * decide the same, and resuming on a changed definition is reported in the run's events.
 */
class ReplayTest {

    private static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: replayed
            spec:
              nodes:
                - id: classify
                  agent:
                    model: scripted
                    prompt: "classify ${{ input.text }}"
                    output: { type: object, properties: { urgent: { type: boolean } } }
                    scripted: { replies: [{ json: { urgent: true } }] }
                - id: page
                  needs: [classify]
                  when: ${{ nodes.classify.output.urgent }}
                  call: { uri: "direct:side-effect" }
                - id: file
                  needs: [classify]
                  when: ${{ !nodes.classify.output.urgent }}
                  set: { queue: normal }
                - id: ok
                  needs: [page, file]
                  gate: { message: "close?" }
                - id: close
                  needs: [ok]
                  set: { closed: true }
            """;

    private static final AtomicInteger sideEffects = new AtomicInteger();

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .routes(rb -> rb.from("direct:side-effect")
                    .process(e -> e.getMessage().setBody("paged #" + sideEffects.incrementAndGet())))
            .workflow("replayed.caravan.yaml", FLOW)
            .build();

    /** The decisions of a run: which node ended how, with what output. */
    private static List<String> decisions(String runId) throws Exception {
        caravan.eventBus().drain(5_000);
        return caravan.events().stream().filter(e -> e.runId().equals(runId))
                .filter(e -> e.type().equals(EventTypes.NODE_COMPLETED) || e.type().equals(EventTypes.NODE_SKIPPED)
                             || e.type().equals(EventTypes.APPROVAL_REQUESTED))
                .map(e -> e.type() + " " + e.node() + " " + (e.data() instanceof Map<?, ?> m ? m.get("output") : ""))
                .map(s -> s.replaceAll("paged #\\d+", "paged"))
                .toList();
    }

    private static long eventCount(String runId) throws Exception {
        caravan.eventBus().drain(5_000);
        return caravan.events().stream().filter(e -> e.runId().equals(runId)).count();
    }

    @Test
    void executingAPausedRunAgainDecidesNothingNewAndRepeatsNoSideEffect() throws Exception {
        RunRecord paused = caravan.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "down")))
                .get(10, TimeUnit.SECONDS);
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        int effects = sideEffects.get();
        long before = eventCount(paused.runId());
        List<String> decided = decisions(paused.runId());

        RunRecord again = caravan.engine().executor().execute(paused.runId()).get(10, TimeUnit.SECONDS);

        assertThat(again.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(sideEffects.get()).isEqualTo(effects);
        assertThat(eventCount(paused.runId())).isEqualTo(before);
        assertThat(decisions(paused.runId())).isEqualTo(decided);
    }

    @Test
    void runsOfTheSameInputDecideTheSame() throws Exception {
        RunRecord one = caravan.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "x")))
                .get(10, TimeUnit.SECONDS);
        RunRecord two = caravan.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "x")))
                .get(10, TimeUnit.SECONDS);
        caravan.runs().resolveGate(one.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS);
        caravan.runs().resolveGate(two.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS);
        // parallel branches may finish in either order; the decisions are what must match
        assertThat(decisions(one.runId())).isNotEmpty().containsExactlyInAnyOrderElementsOf(decisions(two.runId()));
        assertThat(decisions(one.runId())).contains("caravan.node.skipped file null", "caravan.node.completed close {closed=true}");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRunWhoseDefinitionChangedAwaitsMigrationAndGoesOnOnlyWhenMigrated() throws Exception {
        String first = FLOW.replace("name: replayed", "name: changing");
        String changed = first.replace("closed: true", "closed: yes");
        caravan.engine().catalog().deploy(new WorkflowLoader().load("changing.caravan.yaml", first));
        RunRecord paused = caravan.runs().start(RunService.StartRequest.of("changing", Map.of("text", "x")))
                .get(10, TimeUnit.SECONDS);
        String deployed = new WorkflowLoader().load("changing.caravan.yaml", changed).hash();

        caravan.engine().catalog().deploy(new WorkflowLoader().load("changing.caravan.yaml", changed));
        RunRecord held = caravan.runs().resolveGate(paused.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS);

        assertThat(held.status()).isEqualTo(RunStatus.AWAITING_MIGRATION);
        assertThat(held.node("close")).as("nothing ran on the new definition").isNull();
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(paused.runId());
            assertThat(e.type()).isEqualTo(EventTypes.RUN_DEFINITION_CHANGED);
            assertThat((Map<String, Object>) e.data()).containsEntry("startedWith", paused.workflowHash())
                    .containsEntry("deployed", deployed).containsEntry("migrated", false);
        });
        assertThat(caravan.runs().resume(paused.runId()).get(10, TimeUnit.SECONDS).status())
                .as("resumed on the changed definition, it waits again").isEqualTo(RunStatus.AWAITING_MIGRATION);

        RunRecord done = caravan.runs().migrate(paused.runId()).get(10, TimeUnit.SECONDS);

        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.workflowHash()).isEqualTo(deployed);
        assertThat(done.node("close").output()).isEqualTo(Map.of("closed", "yes"));
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(paused.runId());
            assertThat(e.type()).isEqualTo(EventTypes.RUN_DEFINITION_CHANGED);
            assertThat((Map<String, Object>) e.data()).containsEntry("resumesWith", deployed).containsEntry("migrated", true);
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRunCreatedAsItsWorkflowWasDeployedAgainRunsOnTheNewDefinitionWhenNoNodeHadRun() throws Exception {
        String first = FLOW.replace("name: replayed", "name: redeployed").replace("gate: { message: \"close?\" }",
                "set: { ok: true }");
        String changed = first.replace("closed: true", "closed: yes");
        caravan.engine().catalog().deploy(new WorkflowLoader().load("redeployed.caravan.yaml", first));
        // made on the first definition, as a request is that arrives while the file is deployed again
        String runId = caravan.runs().create(RunService.StartRequest.of("redeployed", Map.of("text", "x")));
        String deployed = new WorkflowLoader().load("redeployed.caravan.yaml", changed).hash();
        assertThat(caravan.engine().store().get(runId).workflowHash()).isNotEqualTo(deployed);

        caravan.engine().catalog().deploy(new WorkflowLoader().load("redeployed.caravan.yaml", changed));
        RunRecord done = caravan.engine().executor().execute(runId).get(10, TimeUnit.SECONDS);

        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.workflowHash()).isEqualTo(deployed);
        assertThat(done.node("close").output()).isEqualTo(Map.of("closed", "yes"));
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).filteredOn(e -> e.runId().equals(runId))
                .noneMatch(e -> e.type().equals(EventTypes.RUN_PAUSED))
                .anySatisfy(e -> {
                    assertThat(e.type()).isEqualTo(EventTypes.RUN_DEFINITION_CHANGED);
                    assertThat((Map<String, Object>) e.data()).containsEntry("resumesWith", deployed)
                            .containsEntry("migrated", true);
                });
    }

    @Test
    void aRunAwaitingMigrationGoesOnWhenItsOwnDefinitionIsBack() throws Exception {
        String first = FLOW.replace("name: replayed", "name: restored");
        String changed = first.replace("closed: true", "closed: yes");
        caravan.engine().catalog().deploy(new WorkflowLoader().load("restored.caravan.yaml", first));
        RunRecord paused = caravan.runs().start(RunService.StartRequest.of("restored", Map.of("text", "x")))
                .get(10, TimeUnit.SECONDS);
        caravan.engine().catalog().deploy(new WorkflowLoader().load("restored.caravan.yaml", changed));
        assertThat(caravan.runs().resolveGate(paused.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS)
                .status()).isEqualTo(RunStatus.AWAITING_MIGRATION);

        caravan.engine().catalog().deploy(new WorkflowLoader().load("restored.caravan.yaml", first));
        RunRecord done = caravan.runs().resume(paused.runId()).get(10, TimeUnit.SECONDS);

        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.workflowHash()).isEqualTo(paused.workflowHash());
        assertThat(done.node("close").output()).isEqualTo(Map.of("closed", true));
    }

    @Test
    void onlyARunAwaitingMigrationCanBeMigrated() throws Exception {
        RunRecord paused = caravan.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "x")))
                .get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> caravan.runs().migrate(paused.runId())).isInstanceOf(RunConflictException.class)
                .hasMessage("Run " + paused.runId() + " is awaiting_approval, not awaiting migration");
    }
}
