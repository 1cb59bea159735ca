package dev.caravan.run;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.llm.LlmComponent;
import dev.caravan.llm.LlmConfiguration;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** Failures the workflow format handles: onError, fail nodes, error codes, and errors that say where they happened. */
class FailureHandlingTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .configure(camel -> {
                // quick model retries, so a primary that keeps failing falls back at once
                LlmConfiguration llm = new LlmConfiguration();
                llm.setMaxRetries(1);
                llm.setRetryInitialDelay(1);
                camel.getComponent("caravan-llm", LlmComponent.class).setConfiguration(llm);
            })
            .routes(rb -> {
                rb.from("direct:down").throwException(new IllegalStateException("backend down"));
                rb.from("direct:up").setBody(rb.constant("fine"));
            })
            .build();

    private static List<RunEvent> eventsOf(RunRecord r, String type) throws InterruptedException {
        caravan.eventBus().drain(5_000);
        return caravan.events().stream().filter(e -> e.runId().equals(r.runId()) && e.type().equals(type)).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(RunEvent e) {
        return (Map<String, Object>) e.data();
    }

    @Test
    void continuedFailureEndsTheNodeAsFailedAndTheFallbackPathRuns() throws Exception {
        caravan.deploy(header("fallback-path") + """
                    - id: fetch
                      onError: continue
                      retry: { maxAttempts: 2, backoff: fixed, initialDelay: 1ms }
                      call: { uri: "direct:down" }
                    - id: fallback
                      needs: [fetch]
                      when: ${{ nodes.fetch.error != null }}
                      set:
                        code: ${{ nodes.fetch.error.code }}
                        message: ${{ nodes.fetch.error.message }}
                        attempts: ${{ nodes.fetch.error.attempts }}
                        status: ${{ nodes.fetch.status }}
                        output: ${{ nodes.fetch.output }}
                    - id: use
                      needs: [fetch]
                      when: ${{ nodes.fetch.error == null }}
                      set: { used: "${{ nodes.fetch.output }}" }
                """);
        RunRecord r = caravan.run("fallback-path", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.error()).isNull();
        assertThat(r.errorCode()).isNull();
        assertThat(r.node("fetch").status()).isEqualTo(NodeStatus.FAILED);
        assertThat(r.node("fetch").output()).isNull();
        assertThat(r.node("fetch").errorCode()).isEqualTo("CALL_FAILED");
        Map<String, Object> seen = new HashMap<>(Map.of("code", "CALL_FAILED", "message", "backend down",
                "attempts", 2L, "status", "failed"));
        seen.put("output", null);
        assertThat(r.node("fallback").output()).isEqualTo(seen);
        assertThat(r.node("use").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(eventsOf(r, EventTypes.NODE_FAILED)).last().satisfies(e -> assertThat(data(e))
                .containsEntry("code", "CALL_FAILED").containsEntry("continued", true));
        assertThat(eventsOf(r, EventTypes.RUN_FAILED)).isEmpty();
    }

    @Test
    void errorOfANodeThatSucceededIsNull() throws Exception {
        caravan.deploy(header("no-error") + """
                    - id: fetch
                      onError: continue
                      call: { uri: "direct:up" }
                    - id: check
                      needs: [fetch]
                      set: { failed: "${{ nodes.fetch.error != null }}", output: "${{ nodes.fetch.output }}" }
                """);
        RunRecord r = caravan.run("no-error", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("check").output()).isEqualTo(Map.of("failed", false, "output", "fine"));
    }

    @Test
    void failureWithoutOnErrorFailsTheRunWithItsCode() throws Exception {
        caravan.deploy(header("fails-with-code") + """
                    - id: fetch
                      call: { uri: "direct:down" }
                    - id: after
                      needs: [fetch]
                      set: { never: true }
                """);
        RunRecord r = caravan.run("fails-with-code", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("fetch");
        assertThat(r.errorCode()).isEqualTo("CALL_FAILED");
        assertThat(r.node("after")).isNull();
        assertThat(eventsOf(r, EventTypes.RUN_FAILED)).singleElement().satisfies(e ->
                assertThat(data(e)).containsEntry("code", "CALL_FAILED").containsEntry("node", "fetch"));
    }

    @Test
    void agentFailureCarriesTheLlmErrorKindAsItsCode() throws Exception {
        caravan.deploy(header("agent-code") + """
                    - id: ask
                      onError: continue
                      agent:
                        prompt: hi
                        scripted: { replies: [ { error: { type: auth, message: "key refused" } } ] }
                    - id: report
                      needs: [ask]
                      set: { code: "${{ nodes.ask.error.code }}" }
                """);
        RunRecord r = caravan.run("agent-code", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("report").output()).isEqualTo(Map.of("code", "AUTH"));
    }

    @Test
    void attemptThatRunsOutOfTimeIsContinuedWithCodeTimeout() throws Exception {
        caravan.deploy(header("too-slow") + """
                    - id: ask
                      onError: continue
                      timeout: 50ms
                      agent: { prompt: hi, scripted: { replies: ["late"], latencyMs: 5000 } }
                    - id: report
                      needs: [ask]
                      set: { code: "${{ nodes.ask.error.code }}", message: "${{ nodes.ask.error.message }}" }
                """);
        RunRecord r = caravan.run("too-slow", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("report").output()).isEqualTo(Map.of("code", "TIMEOUT", "message", "timed out after 50 ms"));
    }

    @Test
    void continuedFailureInsideAMapHoldsForItsItemOnly() throws Exception {
        caravan.deploy(header("per-item") + """
                    - id: each
                      map:
                        items: ${{ [5, 0, 2] }}
                        nodes:
                          - id: div
                            onError: continue
                            set: { q: "${{ 10 / item }}" }
                          - id: after
                            needs: [div]
                            set: { ran: true }
                        output: "${{ nodes.div.error != null ? nodes.div.error.code : string(nodes.div.output.q) }}"
                """);
        RunRecord r = caravan.run("per-item", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("each").output()).isEqualTo(List.of("2", "EXPRESSION", "5"));
        assertThat(r.node("each[1].div").status()).isEqualTo(NodeStatus.FAILED);
        assertThat(r.node("each[1].after").status()).isEqualTo(NodeStatus.COMPLETED);
    }

    @Test
    void mapWithOnErrorContinueFailsInsteadOfTheRunWhenAnItemFails() throws Exception {
        caravan.deploy(header("contained") + """
                    - id: each
                      onError: continue
                      map:
                        items: ${{ ['a', 'b'] }}
                        concurrency: 1
                        nodes:
                          - id: guard
                            when: ${{ item == 'b' }}
                            fail: { message: "item ${{ item }} is not allowed", code: NOT_ALLOWED }
                    - id: report
                      needs: [each]
                      set: { code: "${{ nodes.each.error.code }}", status: "${{ nodes.each.status }}" }
                """);
        RunRecord r = caravan.run("contained", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("each").status()).isEqualTo(NodeStatus.FAILED);
        assertThat(r.node("each").output()).isNull();
        assertThat(r.node("each").error()).isEqualTo("Node each[1].guard failed (NOT_ALLOWED): item b is not allowed");
        assertThat(r.node("each[1].guard").errorCode()).isEqualTo("NOT_ALLOWED");
        assertThat(r.node("report").output()).isEqualTo(Map.of("code", "NOT_ALLOWED", "status", "failed"));
    }

    @Test
    void failNodeEndsTheRunWithItsMessageAndCode() throws Exception {
        caravan.deploy(header("guarded") + """
                    - id: classify
                      set: { severity: "${{ input.severity }}" }
                    - id: guard
                      needs: [classify]
                      when: ${{ nodes.classify.output.severity == 'unknown' }}
                      fail: { message: "cannot triage ticket ${{ input.id }}", code: "${{ 'UN' + 'CLASSIFIED' }}" }
                    - id: send
                      needs: [classify, guard]
                      set: { sent: true }
                """);
        RunRecord failed = caravan.run("guarded", Map.of("severity", "unknown", "id", 42));
        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.error()).isEqualTo("cannot triage ticket 42");
        assertThat(failed.errorCode()).isEqualTo("UNCLASSIFIED");
        assertThat(failed.errorNode()).isEqualTo("guard");
        assertThat(failed.node("guard").attempts()).isEqualTo(1);
        assertThat(failed.node("send")).isNull();
        assertThat(eventsOf(failed, EventTypes.RUN_FAILED)).singleElement().satisfies(e ->
                assertThat(data(e)).containsEntry("code", "UNCLASSIFIED")
                        .containsEntry("message", "cannot triage ticket 42"));

        RunRecord passed = caravan.run("guarded", Map.of("severity", "low", "id", 43));
        assertThat(passed.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(passed.node("guard").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(passed.node("send").status()).isEqualTo(NodeStatus.COMPLETED);
    }

    @Test
    void failNodeWithoutACodeFailsWithCodeFailed() throws Exception {
        caravan.deploy(header("plain-fail") + """
                    - id: stop
                      fail: { message: stop here }
                """);
        RunRecord r = caravan.run("plain-fail", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorCode()).isEqualTo("FAILED");
        assertThat(r.error()).isEqualTo("stop here");
    }

    @Test
    void setThatDividesByZeroFailsTheRunNamingTheNodeAndTheExpression() throws Exception {
        caravan.deploy(header("div-zero") + """
                    - id: totals
                      set: { ratio: "${{ input.done / input.total }}" }
                """);
        RunRecord r = caravan.run("div-zero", Map.of("done", 3, "total", 0));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("totals");
        assertThat(r.errorCode()).isEqualTo("EXPRESSION");
        assertThat(r.error()).contains("totals").contains("input.done / input.total");
        assertThat(r.node("totals").attempts()).isEqualTo(1);
    }

    @Test
    void setThatReadsAMissingKeyFailsTheRunNamingTheNodeAndTheExpression() throws Exception {
        caravan.deploy(header("missing-key") + """
                    - id: pick
                      set: { owner: "${{ input.ticket.owner }}" }
                """);
        RunRecord r = caravan.run("missing-key", Map.of("ticket", Map.of("id", 1)));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("pick");
        assertThat(r.error()).contains("pick").contains("input.ticket.owner").contains("owner");
    }

    @Test
    void whenThatCannotBeEvaluatedFailsItsNodeNamingItAndTheCondition() throws Exception {
        caravan.deploy(header("bad-when") + """
                    - id: first
                      set: { x: 1 }
                    - id: route
                      needs: [first]
                      when: ${{ input.priority > 1 }}
                      set: { y: 2 }
                """);
        RunRecord r = caravan.run("bad-when", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("route");
        assertThat(r.errorCode()).isEqualTo("EXPRESSION");
        assertThat(r.error()).contains("when of node 'route'").contains("input.priority > 1");
        assertThat(r.node("route").status()).isEqualTo(NodeStatus.FAILED);
    }

    @Test
    void fallbackModelThatAnsweredIsNamedInTheCompletedEvent() throws Exception {
        caravan.deploy(header("served-by") + """
                    - id: ask
                      agent:
                        model: scripted:flaky-primary
                        fallback: [scripted:steady-backup]
                        prompt: hi
                        scripted:
                          replies:
                            - { error: { type: overloaded, message: busy } }
                            - { error: { type: overloaded, message: still busy } }
                            - from the backup
                """);
        RunRecord r = caravan.run("served-by", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("ask").output()).isEqualTo("from the backup");
        assertThat(eventsOf(r, EventTypes.NODE_COMPLETED)).singleElement().satisfies(e ->
                assertThat(data(e)).containsEntry("provider", "scripted")
                        .containsEntry("model", "steady-backup").containsEntry("llmAttempts", 3)
                        .containsEntry("fallbacks", 1).containsEntry("attempts", 1));
    }

    @Test
    void gateThatTimesOutWithOnErrorContinueLetsTheRunGoOn() throws Exception {
        caravan.deploy(header("gate-continue") + """
                    - id: ok
                      onError: continue
                      gate: { message: "Go?", timeout: 100ms, onTimeout: fail }
                    - id: after
                      needs: [ok]
                      set: { code: "${{ nodes.ok.error.code }}" }
                """);
        RunRecord paused = caravan.run("gate-continue", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused.runId()).status().isTerminal());
        RunRecord r = caravan.queries().get(paused.runId());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("ok").status()).isEqualTo(NodeStatus.FAILED);
        assertThat(r.node("ok").error()).isEqualTo("gate ok timed out");
        assertThat(r.node("after").output()).isEqualTo(Map.of("code", "GATE_TIMEOUT"));
    }

    @Test
    void failedChildRunIsContinuedWithCodeChildFailed() throws Exception {
        caravan.deploy(header("broken-child") + """
                    - id: stop
                      fail: { message: "child gave up", code: GAVE_UP }
                """);
        caravan.deploy(header("parent-of-broken") + """
                    - id: sub
                      onError: continue
                      workflow: { name: broken-child }
                    - id: report
                      needs: [sub]
                      set: { code: "${{ nodes.sub.error.code }}", message: "${{ nodes.sub.error.message }}" }
                """);
        RunRecord r = caravan.run("parent-of-broken", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("report").output()).isInstanceOfSatisfying(Map.class, m -> {
            assertThat(m.get("code")).isEqualTo("CHILD_FAILED");
            assertThat((String) m.get("message")).contains("child gave up");
        });
    }
}
