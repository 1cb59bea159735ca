package dev.caravan.component.workflow;

import dev.caravan.event.CloudEventJson;
import dev.caravan.event.RunEvent;
import dev.caravan.event.TraceParent;
import dev.caravan.run.RunService;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code caravan-workflow}: another workflow runs as a child run, and its output is the node's. */
class WorkflowComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("child.caravan.yaml", header("child") + """
                        - id: greet
                          set: { text: "Hello, ${{ input.name }}" }
                      output: ${{ nodes.greet.output.text }}
                    """)
            .workflow("failing-child.caravan.yaml", header("failing-child") + """
                        - id: stop
                          fail: { message: "no such customer", code: NOT_FOUND }
                    """)
            .build();

    @Test
    void theChildsOutputIsTheOutputAndTheChildRunIsNamedAfterTheParent() throws Exception {
        caravan.deploy(header("parent") + """
                    - id: inherited
                      workflow: { name: child }
                    - id: given
                      workflow: { name: child, input: "${{ {'name': 'Bob'} }}" }
                """);

        RunRecord r = caravan.run("parent", Map.of("name", "Ada"));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("inherited").output()).as("the parent's input by default").isEqualTo("Hello, Ada");
        assertThat(r.node("given").output()).isEqualTo("Hello, Bob");
        String childId = r.runId() + ":inherited";
        assertThat(r.node("inherited").detail()).containsEntry("childRunId", childId);
        RunRecord child = caravan.queries().get(childId);
        assertThat(child.workflow()).isEqualTo("child");
        assertThat(child.parentRunId()).isEqualTo(r.runId());
    }

    @Test
    void aChildRunAndItsEventsCarryTheParentsCorrelationId() throws Exception {
        caravan.deploy(header("correlated") + """
                    - id: sub
                      workflow: { name: child }
                """);
        RunRecord r = caravan.runs().run(new RunService.StartRequest("correlated", Map.of("name", "Ada"), null, null,
                null, null, null, "ticket-7"));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.correlationId()).isEqualTo("ticket-7");
        String childId = r.runId() + ":sub";
        assertThat(caravan.queries().get(childId).correlationId()).isEqualTo("ticket-7");
        caravan.eventBus().drain(5_000);
        List<RunEvent> events = caravan.events().stream()
                .filter(e -> e.runId().equals(r.runId()) || e.runId().equals(childId)).toList();
        assertThat(events).extracting(RunEvent::runId).contains(r.runId(), childId);
        assertThat(events).allSatisfy(e -> assertThat(e.correlationId()).isEqualTo("ticket-7"));
        assertThat(CloudEventJson.toCloudEvent(events.get(0)).getExtension("correlationid")).isEqualTo("ticket-7");
    }

    @Test
    void aChildRunAndItsEventsJoinTheTraceTheParentWasStartedIn() throws Exception {
        caravan.deploy(header("traced") + """
                    - id: sub
                      workflow: { name: child }
                """);
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        RunRecord r = caravan.runs().run(new RunService.StartRequest("traced", Map.of("name", "Ada"), null, null,
                null, null, null, null, traceId));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.traceId()).isEqualTo(traceId);
        String childId = r.runId() + ":sub";
        assertThat(caravan.queries().get(childId).traceId()).isEqualTo(traceId);
        caravan.eventBus().drain(5_000);
        List<RunEvent> events = caravan.events().stream()
                .filter(e -> e.runId().equals(r.runId()) || e.runId().equals(childId)).toList();
        assertThat(events).extracting(RunEvent::runId).contains(r.runId(), childId);
        // the caller's trace; each run and node its own span, as without one
        assertThat(events).allSatisfy(e -> assertThat(e.traceparent())
                .isEqualTo("00-" + traceId + "-" + TraceParent.of(e.runId(), e.node()).substring(36)));
        assertThat(CloudEventJson.toCloudEvent(events.get(0)).getExtension("traceparent"))
                .isEqualTo(events.get(0).traceparent());
    }

    @Test
    void aFailedChildFailsTheNodeWithChildFailed() throws Exception {
        caravan.deploy(header("parent-of-failure") + """
                    - id: sub
                      workflow: { name: failing-child }
                """);

        RunRecord r = caravan.run("parent-of-failure", Map.of());

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("sub").errorCode()).isEqualTo("CHILD_FAILED");
        assertThat(r.node("sub").error()).isEqualTo("Sub-workflow run " + r.runId() + ":sub failed: no such customer");
    }

    @Test
    void aChildThatIsNotDeployedFailsTheNodeNamingWhatIs() throws Exception {
        caravan.deploy(header("orphan") + """
                    - id: sub
                      workflow: { name: nowhere }
                """);

        RunRecord r = caravan.run("orphan", Map.of());

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("sub").errorCode()).isEqualTo("WORKFLOW_NOT_FOUND");
        assertThat(r.node("sub").error()).startsWith("No workflow named nowhere is deployed; deployed: ")
                .contains("child", "orphan");
    }
}
