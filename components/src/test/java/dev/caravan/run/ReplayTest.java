package dev.caravan.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

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

    private static DefaultCamelContext camel;
    private static Engine engine;
    private static final AtomicInteger sideEffects = new AtomicInteger();
    private static final List<RunEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:side-effect").process(e -> e.getMessage().setBody("paged #" + sideEffects.incrementAndGet()));
            }
        });
        camel.start();
        engine = Engine.of(camel);
        engine.events().subscribe(events::add);
        engine.catalog().deploy(new WorkflowLoader().load("replayed.caravan.yaml", FLOW));
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
    }

    /** The decisions of a run: which node ended how, with what output. */
    private static List<String> decisions(String runId) throws Exception {
        engine.events().drain(5_000);
        return events.stream().filter(e -> e.runId().equals(runId))
                .filter(e -> e.type().equals(EventTypes.NODE_COMPLETED) || e.type().equals(EventTypes.NODE_SKIPPED)
                             || e.type().equals(EventTypes.APPROVAL_REQUESTED))
                .map(e -> e.type() + " " + e.node() + " " + (e.data() instanceof Map<?, ?> m ? m.get("output") : ""))
                .map(s -> s.replaceAll("paged #\\d+", "paged"))
                .toList();
    }

    private static long eventCount(String runId) throws Exception {
        engine.events().drain(5_000);
        return events.stream().filter(e -> e.runId().equals(runId)).count();
    }

    @Test
    void executingAPausedRunAgainDecidesNothingNewAndRepeatsNoSideEffect() throws Exception {
        RunRecord paused = engine.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "down")))
                .get(10, TimeUnit.SECONDS);
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        int effects = sideEffects.get();
        long before = eventCount(paused.runId());
        List<String> decided = decisions(paused.runId());

        RunRecord again = engine.runs().execute(paused.runId()).get(10, TimeUnit.SECONDS);

        assertThat(again.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(sideEffects.get()).isEqualTo(effects);
        assertThat(eventCount(paused.runId())).isEqualTo(before);
        assertThat(decisions(paused.runId())).isEqualTo(decided);
    }

    @Test
    void runsOfTheSameInputDecideTheSame() throws Exception {
        RunRecord one = engine.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "x"))).get(10, TimeUnit.SECONDS);
        RunRecord two = engine.runs().start(RunService.StartRequest.of("replayed", Map.of("text", "x"))).get(10, TimeUnit.SECONDS);
        engine.runs().resolveGate(one.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS);
        engine.runs().resolveGate(two.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS);
        // parallel branches may finish in either order; the decisions are what must match
        assertThat(decisions(one.runId())).isNotEmpty().containsExactlyInAnyOrderElementsOf(decisions(two.runId()));
        assertThat(decisions(one.runId())).contains("caravan.node.skipped file null", "caravan.node.completed close {closed=true}");
    }

    @Test
    void resumingOnAChangedDefinitionIsReportedInTheRunsEvents() throws Exception {
        String changedFlow = FLOW.replace("name: replayed", "name: changing").replace("closed: true", "closed: yes");
        engine.catalog().deploy(new WorkflowLoader().load("changing.caravan.yaml", FLOW.replace("name: replayed", "name: changing")));
        RunRecord paused = engine.runs().start(RunService.StartRequest.of("changing", Map.of("text", "x"))).get(10, TimeUnit.SECONDS);

        engine.catalog().deploy(new WorkflowLoader().load("changing.caravan.yaml", changedFlow));
        RunRecord done = engine.runs().resolveGate(paused.runId(), "ok", true, "a", null).get(10, TimeUnit.SECONDS);

        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        engine.events().drain(5_000);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(paused.runId());
            assertThat(e.type()).isEqualTo(EventTypes.RUN_DEFINITION_CHANGED);
            assertThat(((Map<?, ?>) e.data()).get("startedWith")).isEqualTo(paused.workflowHash());
        });
        assertThat(done.node("close").output()).isEqualTo(Map.of("closed", "yes"));
    }
}
