package dev.caravan.routes;

import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.caravan.routes.Examples.tree;
import static org.assertj.core.api.Assertions.assertThat;

/** Runs every example workflow of routes/examples end to end on one embedded caravan.engine(). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExamplesTest {

    /**
     * Expected outputs (JSON) of the examples that run to completion without a human, for the inputs of
     * {@link Examples#INPUTS}: each shows its input, so a reader sees the workflow act on what it was given.
     */
    private static final Map<String, String> EXPECTED = Map.of(
            "hello", "\"Hello, Ada! Welcome aboard the caravan.\"",
            "diamond", "{\"reply\": \"About \\\"t\\\": we are on it and will call you within the hour.\", \"priority\": 1}",
            "map", """
                    {"summaries": [
                      {"index": 0, "position": "1 of 5", "summary": "Summarize document 0: a"},
                      {"index": 1, "position": "2 of 5 (even)", "summary": "Summarize document 1: b"},
                      {"index": 2, "position": "3 of 5", "summary": "Summarize document 2: c"},
                      {"index": 3, "position": "4 of 5 (even)", "summary": "Summarize document 3: d"},
                      {"index": 4, "position": "5 of 5", "summary": "Summarize document 4: e"}],
                     "count": 5}""",
            "loop", "\"The third and final draft on x.\"",
            "tools", "\"From the knowledge base: Refunds: accepted within 30 days of delivery (query: refunds?)\"",
            "subflow", "{\"queue\": \"urgent\", \"summary\": \"The customer writes: urgent: help\"}",
            "summarize-ticket", "{\"urgent\": false, \"text\": \"The customer writes: x\"}");

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().build();

    @BeforeAll
    void deployExamples() {
        for (String name : Examples.names()) {
            caravan.engine().catalog().deploy(Examples.file(name));
        }
    }

    private RunRecord run(String name) throws Exception {
        return caravan.runs().start(StartRequest.of(name, Examples.input(name))).get(30, TimeUnit.SECONDS);
    }

    @Test
    void everyExampleHasAnInputAndAnExpectation() {
        Set<String> covered = new HashSet<>(EXPECTED.keySet());
        covered.add("gate");
        assertThat(Examples.names()).isNotEmpty();
        assertThat(covered).containsExactlyInAnyOrderElementsOf(Examples.names());
        assertThat(Examples.INPUTS.keySet()).containsAll(Examples.names());
    }

    @Test
    void runsEveryExampleToItsExpectedOutput() throws Exception {
        for (String name : Examples.names()) {
            if (name.equals("gate")) {
                continue; // pauses for a human: see the gate tests
            }
            RunRecord r = run(name);
            assertThat(r.status()).as("%s: status (error %s at %s)", name, r.error(), r.errorNode())
                    .isEqualTo(RunStatus.COMPLETED);
            assertThat(tree(r.output())).as("%s: output", name).isEqualTo(tree(EXPECTED.get(name)));
        }
    }

    @Test
    void everyExampleShowsItsInputInItsResult() throws Exception {
        Map<String, Map<String, Object>> others = Map.of(
                "hello", Map.of("name", "Bo"),
                "diamond", Map.of("ticket", "Printer on fire"),
                "map", Map.of("docs", List.of("z")),
                "loop", Map.of("topic", "camels"),
                "tools", Map.of("question", "Can I return shoes?"),
                "subflow", Map.of("ticket", "calm: a question"),
                "summarize-ticket", Map.of("ticket", "Where is my parcel?"));
        for (Map.Entry<String, Map<String, Object>> other : others.entrySet()) {
            RunRecord r = caravan.runs().start(StartRequest.of(other.getKey(), other.getValue())).get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(other.getKey()).isEqualTo(RunStatus.COMPLETED);
            assertThat(tree(r.output())).as("%s: output for another input", other.getKey())
                    .isNotEqualTo(tree(EXPECTED.get(other.getKey())));
            Object shown = other.getValue().values().iterator().next();
            assertThat(tree(r.output()).toString()).as(other.getKey())
                    .contains(shown instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(shown));
        }

        RunRecord paused = caravan.runs().start(StartRequest.of("gate", Map.of("to", "amy"))).get(30, TimeUnit.SECONDS);
        assertThat(String.valueOf(paused.node("approve").detail().get("message"))).isEqualTo(
                "Send this to amy? Sorry for the delay, amy: your order ships today.");
    }

    @Test
    void loopRecordsEveryRoundUnderItsOwnNodeKey() throws Exception {
        RunRecord r = run("loop");
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.nodes()).containsKeys("refine[0].draft", "refine[0].critique", "refine[1].draft",
                "refine[1].critique", "refine[2].draft", "refine[2].critique");
        assertThat(r.nodes()).doesNotContainKeys("refine[3].draft");
    }

    @Test
    void mapRecordsEveryItemUnderItsOwnNodeKey() throws Exception {
        RunRecord r = run("map");
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        for (int i = 0; i < 5; i++) {
            assertThat(r.node("each[" + i + "].summarize")).as("each[%s].summarize", i).isNotNull();
            assertThat(r.node("each[" + i + "].label").status()).isEqualTo(NodeStatus.COMPLETED);
        }
    }

    @Test
    void gatePausesAndApprovalSendsTheDraft() throws Exception {
        RunRecord paused = run("gate");
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("approve").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("send")).isNull();

        RunRecord done = caravan.runs().resolveGate(paused.runId(), "approve", true, "ada", "looks good")
                .get(30, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(tree(done.output())).isEqualTo(tree(
                "{\"sent\": true, \"to\": \"bob\", \"text\": \"Sorry for the delay, bob: your order ships today.\"}"));
        assertThat(done.node("approve").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(done.node("send").status()).isEqualTo(NodeStatus.COMPLETED);
    }

    @Test
    void gateRejectionCompletesTheRunAndSkipsTheSend() throws Exception {
        RunRecord paused = run("gate");
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);

        RunRecord done = caravan.runs().resolveGate(paused.runId(), "approve", false, "ada", "no")
                .get(30, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("approve").status()).isEqualTo(NodeStatus.REJECTED);
        assertThat(done.node("send").status()).isEqualTo(NodeStatus.SKIPPED);
    }

    @Test
    void subflowRunsTheChildWorkflowAsItsOwnRun() throws Exception {
        RunRecord parent = run("subflow");
        assertThat(parent.status()).isEqualTo(RunStatus.COMPLETED);
        List<RunRecord> children = caravan.queries().page(RunQuery.of(List.of(), 1000)).runs().stream()
                .filter(r -> parent.runId().equals(r.parentRunId()))
                .toList();
        assertThat(children).singleElement().satisfies(child -> {
            assertThat(child.workflow()).isEqualTo("summarize-ticket");
            assertThat(child.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(tree(child.output())).isEqualTo(
                    tree("{\"urgent\": true, \"text\": \"The customer writes: urgent: help\"}"));
        });
    }
}
