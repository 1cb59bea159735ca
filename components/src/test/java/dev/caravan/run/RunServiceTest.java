package dev.caravan.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Run lifecycle on one embedded engine: replay, gates, skips, cancel, retries, containers and events. */
class RunServiceTest {

    private static DefaultCamelContext camel;
    private static Engine engine;
    private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    private static final List<RunEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // a side effect that counts how often each node called it
                from("direct:effect").process(e -> {
                    String node = e.getMessage().getHeader("CamelCaravanNodeKey", String.class);
                    calls.computeIfAbsent(e.getMessage().getHeader("CamelCaravanRunId") + "/" + node,
                            k -> new AtomicInteger()).incrementAndGet();
                    AtomicInteger left = failuresLeft.get(node);
                    if (left != null && left.getAndDecrement() > 0) {
                        throw new IllegalStateException("effect failed on purpose");
                    }
                    e.getMessage().setBody("done " + node);
                });
            }
        });
        camel.start();
        engine = Engine.of(camel);
        engine.events().subscribe(events::add);
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
    }

    private static void deploy(String yaml) {
        engine.catalog().deploy(new WorkflowLoader().load("test.caravan.yaml", yaml));
    }

    private static RunRecord run(String workflow, Map<String, Object> input) throws Exception {
        return engine.runs().start(RunService.StartRequest.of(workflow, input)).get(20, TimeUnit.SECONDS);
    }

    private static int calls(RunRecord r, String node) {
        AtomicInteger n = calls.get(r.runId() + "/" + node);
        return n == null ? 0 : n.get();
    }

    private static String header(String name) {
        return """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: %s
                spec:
                  nodes:
                """.formatted(name);
    }

    @Test
    void skipsNodeWhenConditionIsFalseAndWhatOnlyItLeadsTo() throws Exception {
        deploy(header("skips") + """
                    - id: a
                      set: { x: 1 }
                    - id: b
                      needs: [a]
                      when: ${{ nodes.a.output.x == 2 }}
                      set: { y: 2 }
                    - id: c
                      needs: [b]
                      set: { z: 3 }
                    - id: d
                      needs: [a, b]
                      set: { seen: "${{ nodes.b.status }}" }
                """);
        RunRecord r = run("skips", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("b").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(r.node("c").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(r.node("d").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(r.node("d").output()).isEqualTo(Map.of("seen", "skipped"));
    }

    @Test
    void gateApprovalResumesWithoutRerunningSideEffectsBeforeTheGate() throws Exception {
        deploy(header("approve-flow") + """
                    - id: before
                      call: { uri: "direct:effect" }
                    - id: ok
                      needs: [before]
                      gate: { message: "Go?" }
                    - id: after
                      needs: [ok]
                      call: { uri: "direct:effect" }
                """);
        RunRecord paused = run("approve-flow", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").detail()).containsEntry("message", "Go?");
        assertThat(calls(paused, "after")).isZero();

        RunRecord done = engine.runs().resolveGate(paused.runId(), "ok", true, "ada", "fine").get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(calls(done, "before")).isEqualTo(1);
        assertThat(calls(done, "after")).isEqualTo(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> decision = (Map<String, Object>) done.node("ok").output();
        assertThat(decision).containsEntry("approved", true).containsEntry("by", "ada");
    }

    @Test
    void rejectedGateSkipsItsDependents() throws Exception {
        deploy(header("reject-flow") + """
                    - id: ok
                      gate: { message: "Go?" }
                    - id: after
                      needs: [ok]
                      call: { uri: "direct:effect" }
                """);
        RunRecord paused = run("reject-flow", Map.of());
        RunRecord done = engine.runs().resolveGate(paused.runId(), "ok", false, "ada", "no").get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("ok").status()).isEqualTo(NodeStatus.REJECTED);
        assertThat(done.node("after").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(calls(done, "after")).isZero();
    }

    @Test
    void gateInOneParallelBranchLetsTheOtherBranchFinish() throws Exception {
        deploy(header("branches") + """
                    - id: ok
                      gate: { message: "Go?" }
                    - id: work
                      call: { uri: "direct:effect" }
                    - id: join
                      needs: [ok, work]
                      set: { both: true }
                """);
        RunRecord paused = run("branches", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("work").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(paused.node("join")).isNull();
        RunRecord done = engine.runs().resolveGate(paused.runId(), "ok", true, "ada", null).get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(calls(done, "work")).isEqualTo(1);
        assertThat(done.output()).isEqualTo(Map.of("ok", done.node("ok").output(), "work", "done work",
                "join", Map.of("both", true)));
    }

    @Test
    void gateInsideSubWorkflowPausesTheParentUntilApproved() throws Exception {
        deploy(header("child-gate") + """
                    - id: ok
                      gate: { message: "Child go?" }
                    - id: work
                      needs: [ok]
                      agent: { model: scripted, prompt: "child work", scripted: { replies: ["child says hi"] } }
                  output: ${{ nodes.work.output }}
                """);
        deploy(header("parent-of-gate") + """
                    - id: sub
                      workflow: { name: child-gate }
                    - id: after
                      needs: [sub]
                      set: { got: "${{ nodes.sub.output }}" }
                """);
        RunRecord paused = run("parent-of-gate", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        String child = paused.runId() + ":sub";
        assertThat(engine.queries().pendingGates(paused.runId())).containsEntry(child, List.of("ok"));

        engine.runs().resolveGate(child, "ok", true, "ada", null).get(20, TimeUnit.SECONDS);
        org.awaitility.Awaitility.await().atMost(20, TimeUnit.SECONDS)
                .until(() -> engine.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        RunRecord done = engine.queries().get(paused.runId());
        assertThat(done.node("after").output()).isEqualTo(Map.of("got", "child says hi"));
        engine.events().drain(5_000);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(child);
            assertThat(e.parentRunId()).isEqualTo(paused.runId());
            assertThat(e.type()).isEqualTo(EventTypes.NODE_OUTPUT_DELTA);
        });
    }

    @Test
    void pendingGatesAreTheGatesNotTheMapsLoopsAndWorkflowNodesAroundThem() throws Exception {
        deploy(header("nested-gate-child") + """
                    - id: ok
                      gate: { message: "Child go?" }
                """);
        deploy(header("nested-gates") + """
                    - id: each
                      map:
                        items: ${{ [1, 2] }}
                        nodes:
                          - id: check
                            gate: { message: "item ${{ item }}?" }
                    - id: again
                      loop:
                        max: 1
                        nodes:
                          - id: confirm
                            gate: {}
                    - id: sub
                      workflow: { name: nested-gate-child }
                """);
        RunRecord paused = run("nested-gates", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("each").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("again").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("sub").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);

        Map<String, List<String>> gates = engine.queries().pendingGates(paused.runId());
        String child = paused.runId() + ":sub";
        assertThat(gates).containsOnlyKeys(paused.runId(), child);
        assertThat(gates.get(paused.runId())).containsExactlyInAnyOrder("each[0].check", "each[1].check",
                "again[0].confirm");
        assertThat(gates.get(child)).containsExactly("ok");
    }

    @Test
    void gateInsideOneMapItemPausesTheRunAndItemsKeepTheirKeys() throws Exception {
        deploy(header("map-gate") + """
                    - id: each
                      map:
                        items: ${{ [10, 20, 30] }}
                        nodes:
                          - id: check
                            when: ${{ index == 1 }}
                            gate: { message: "item ${{ item }}?" }
                          - id: work
                            needs: [check]
                            agent: { model: scripted, prompt: "work on ${{ item }}" }
                        output: ${{ nodes.work.status }}
                """);
        RunRecord paused = run("map-gate", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("each[1].check").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("each[0].work").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(paused.node("each[2].check").status()).isEqualTo(NodeStatus.SKIPPED);

        RunRecord done = engine.runs().resolveGate(paused.runId(), "each[1].check", true, "ada", null)
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("each").output()).isEqualTo(List.of("skipped", "completed", "skipped"));
        assertThat(done.node("each[1].work").output()).isEqualTo("work on 20");
        assertThat(done.node("each").attempts()).as("continuing inside a container is not a new attempt").isEqualTo(1);
        engine.events().drain(5_000);
        assertThat(events).filteredOn(e -> e.runId().equals(done.runId()) && "each".equals(e.node())
                                           && e.type().equals(EventTypes.NODE_STARTED))
                .extracting(e -> (Object) ((Map<?, ?>) e.data()).get("attempt")).containsOnly(1);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(done.runId());
            assertThat(e.node()).isEqualTo("each[1].work");
            assertThat(e.type()).isEqualTo(EventTypes.NODE_OUTPUT_DELTA);
        });
    }

    @Test
    void loopRecordsEachIterationUnderItsOwnKey() throws Exception {
        deploy(header("loop-keys") + """
                    - id: refine
                      loop:
                        max: 4
                        until: ${{ nodes.step.output.n >= 2 }}
                        nodes:
                          - id: step
                            set: { n: "${{ iteration }}" }
                        output: ${{ nodes.step.output.n }}
                """);
        RunRecord r = run("loop-keys", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.nodes()).containsKeys("refine[0].step", "refine[1].step", "refine[2].step")
                .doesNotContainKey("refine[3].step");
        assertThat(((Number) r.node("refine").output()).intValue()).isEqualTo(2);
    }

    @Test
    void cancelEndsAPausedRunAndRefusesLaterApproval() throws Exception {
        deploy(header("cancel-flow") + """
                    - id: ok
                      gate: { message: "Go?" }
                """);
        RunRecord paused = run("cancel-flow", Map.of());
        RunRecord cancelled = engine.runs().cancel(paused.runId(), "changed my mind");
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelled.error()).isEqualTo("changed my mind");
        assertThatThrownBy(() -> engine.runs().resolveGate(paused.runId(), "ok", true, "ada", null))
                .isInstanceOf(RunConflictException.class).hasMessageContaining("run is cancelled");
    }

    @Test
    void failedNodeAfterRetriesFailsTheRunWithNodeErrorClassAndMessage() throws Exception {
        failuresLeft.put("flaky", new AtomicInteger(100));
        deploy(header("fails") + """
                    - id: flaky
                      retry: { maxAttempts: 3, backoff: fixed, initialDelay: 10ms }
                      call: { uri: "direct:effect" }
                """);
        RunRecord r = run("fails", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("flaky");
        assertThat(r.node("flaky").attempts()).isEqualTo(3);
        assertThat(r.node("flaky").errorClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(r.error()).isEqualTo("effect failed on purpose");
        assertThat(calls(r, "flaky")).isEqualTo(3);
    }

    @Test
    void retrySucceedsWhenALaterAttemptWorks() throws Exception {
        failuresLeft.put("twice", new AtomicInteger(1));
        deploy(header("retries") + """
                    - id: twice
                      retry: { maxAttempts: 3, backoff: exponential, initialDelay: 5ms }
                      call: { uri: "direct:effect" }
                """);
        RunRecord r = run("retries", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("twice").attempts()).isEqualTo(2);
        assertThat(calls(r, "twice")).isEqualTo(2);
    }

    @Test
    void retryFromNodeRerunsItAndItsDependentsOnly() throws Exception {
        deploy(header("retry-from") + """
                    - id: first
                      call: { uri: "direct:effect" }
                    - id: second
                      needs: [first]
                      call: { uri: "direct:effect" }
                    - id: third
                      needs: [second]
                      call: { uri: "direct:effect" }
                """);
        RunRecord r = run("retry-from", Map.of());
        RunRecord again = engine.runs().retryFrom(r.runId(), "second").get(20, TimeUnit.SECONDS);
        assertThat(again.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(calls(again, "first")).isEqualTo(1);
        assertThat(calls(again, "second")).isEqualTo(2);
        assertThat(calls(again, "third")).isEqualTo(2);
    }

    @Test
    void invalidInputIsRefusedBeforeAnyRunExists() {
        deploy(header("typed") .replace("spec:\n", "spec:\n  input: { type: object, required: [name] }\n") + """
                    - id: a
                      set: { x: 1 }
                """);
        int before = engine.queries().page(RunQuery.of(List.of(), RunQuery.MAX_LIMIT)).runs().size();
        assertThatThrownBy(() -> engine.runs().start(RunService.StartRequest.of("typed", Map.of("nom", "x"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
        assertThat(engine.queries().page(RunQuery.of(List.of(), RunQuery.MAX_LIMIT)).runs()).hasSize(before);
    }

    @Test
    void everyRunNumbersItsEventsContiguouslyFromOne() throws Exception {
        deploy(header("numbered") + """
                    - id: a
                      agent: { model: scripted, prompt: "one two three four" }
                    - id: b
                      agent: { model: scripted, prompt: "five six" }
                    - id: c
                      needs: [a, b]
                      set: { done: true }
                """);
        RunRecord r = run("numbered", Map.of());
        engine.events().drain(5_000);
        List<Long> seq = events.stream().filter(e -> e.runId().equals(r.runId())).map(RunEvent::sequence).toList();
        assertThat(seq).isNotEmpty();
        for (int i = 0; i < seq.size(); i++) {
            assertThat(seq.get(i)).isEqualTo(i + 1L);
        }
        assertThat(seq.get(seq.size() - 1)).isEqualTo(r.sequence());
    }

    @Test
    void agentCallIsRefusedBeforeItLeavesOnceTheTokenBudgetIsSpent() throws Exception {
        deploy(header("budgeted").replace("spec:\n", "spec:\n  budget: { tokens: 60 }\n") + """
                    - id: first
                      agent: { model: scripted, prompt: "a prompt that uses about fifteen tokens..", maxTokens: 20 }
                    - id: second
                      needs: [first]
                      agent: { model: scripted, prompt: "never sent", maxTokens: 40 }
                """);
        RunRecord r = run("budgeted", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("first").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(r.errorNode()).isEqualTo("second");
        assertThat(r.node("second").errorClass()).isEqualTo("dev.caravan.llm.LlmException");
        assertThat(r.error()).contains("left of the token budget; nothing was sent");
        assertThat(r.node("second").attempts()).isEqualTo(1);
        engine.events().drain(5_000);
        assertThat(events).noneSatisfy(e -> {
            assertThat(e.runId()).isEqualTo(r.runId());
            assertThat(e.node()).isEqualTo("second");
            assertThat(e.type()).isEqualTo(EventTypes.NODE_OUTPUT_DELTA);
        });
    }

    @Test
    void aBrokenRouteFileBesideAWorkflowFailsOnlyWhatCallsIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve("broken.camel.yaml"), "- route:\n    from:\n      uri: direct:x\n      steps:\n        - nonsense: {}\n");
        java.nio.file.Files.writeString(dir.resolve("fine.caravan.yaml"), header("fine") + """
                    - id: a
                      set: { ok: true }
                """);
        engine.catalog().deploy(dir.resolve("fine.caravan.yaml"));
        assertThat(engine.catalog().routeProblems()).anySatisfy(p -> assertThat(p).contains("broken.camel.yaml"));
        assertThat(run("fine", Map.of()).status()).isEqualTo(RunStatus.COMPLETED);
    }

    private RunRecord timedOutGate(String name, String onTimeout) throws Exception {
        deploy(header(name) + """
                    - id: ok
                      gate: { message: "Go?", timeout: 300ms, onTimeout: %s }
                    - id: after
                      needs: [ok]
                      set: { done: true }
                """.formatted(onTimeout));
        RunRecord paused = run(name, Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").detail()).containsKeys("deadline").containsEntry("onTimeout", onTimeout);
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> engine.queries().get(paused.runId()).status().isTerminal());
        return engine.queries().get(paused.runId());
    }

    @Test
    void gateTimeoutApprovesWhenSoConfigured() throws Exception {
        RunRecord r = timedOutGate("timeout-approve", "approve");
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("ok").output()).isInstanceOfSatisfying(Map.class, m -> {
            assertThat(m.get("approved")).isEqualTo(true);
            assertThat(m.get("by")).isEqualTo("timeout");
        });
        assertThat(r.node("after").status()).isEqualTo(NodeStatus.COMPLETED);
    }

    @Test
    void gateTimeoutRejectsAndSkipsDependents() throws Exception {
        RunRecord r = timedOutGate("timeout-reject", "reject");
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("ok").status()).isEqualTo(NodeStatus.REJECTED);
        assertThat(r.node("after").status()).isEqualTo(NodeStatus.SKIPPED);
    }

    @Test
    void gateTimeoutFailsTheRunWhenSoConfigured() throws Exception {
        RunRecord r = timedOutGate("timeout-fail", "fail");
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorNode()).isEqualTo("ok");
        assertThat(r.error()).isEqualTo("gate ok timed out");
    }

    @Test
    void callTargetMayBeComputedFromTheInput() throws Exception {
        deploy(header("routed") + """
                    - id: send
                      call: { uri: "direct:${{ input.target }}" }
                """);
        RunRecord r = run("routed", Map.of("target", "effect"));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("send").output()).isEqualTo("done send");
    }

    @Test
    void moreComputedTargetsThanTheProducerCacheHoldsAllGetTheirCall() throws Exception {
        deploy(header("fanout") + """
                    - id: each
                      map:
                        items: "${{ [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79] }}"
                        concurrency: 8
                        nodes:
                          - id: send
                            call: { uri: "log:caravan.test.target${{ item }}?level=OFF", body: "${{ item }}" }
                """);
        RunRecord r = run("fanout", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat((List<?>) r.node("each").output()).hasSize(80);
    }

    @Test
    void runExecutesOnTheCallersThreadAndReturnsTheOutcome() throws Exception {
        deploy(header("inline") + """
                    - id: where
                      call: { uri: "direct:thread-name" }
                """);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:thread-name").setBody(exchange -> Thread.currentThread().getName());
            }
        });
        RunRecord r = engine.runs().run(RunService.StartRequest.of("inline", Map.of()));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("where").output()).isEqualTo(Thread.currentThread().getName());
    }

    @Test
    void mapRunsBlockingItemsSideBySideButNoMoreThanItsConcurrency() throws Exception {
        java.util.concurrent.CyclicBarrier pairs = new java.util.concurrent.CyclicBarrier(2);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:blocking").process(e -> {
                    most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    try {
                        pairs.await(10, TimeUnit.SECONDS); // only passes when two items run at once
                    } finally {
                        inFlight.decrementAndGet();
                    }
                    e.getMessage().setBody("ok");
                });
            }
        });
        deploy(header("pairs") + """
                    - id: each
                      map:
                        items: ${{ [1, 2, 3, 4, 5, 6] }}
                        concurrency: 2
                        nodes:
                          - id: work
                            call: { uri: "direct:blocking" }
                        output: ${{ nodes.work.output }}
                """);
        RunRecord r = run("pairs", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("each").output()).isEqualTo(List.of("ok", "ok", "ok", "ok", "ok", "ok"));
        assertThat(most.get()).isEqualTo(2);
    }

    @Test
    void anyRouteStartsARunWithCaravanRunStart() throws Exception {
        deploy(header("triggered").replace("spec:\n", "spec:\n  input: { type: object, required: [who] }\n") + """
                    - id: greet
                      set: { hello: "${{ input.who }}" }
                """);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:webhook").to("caravan-run:start?workflow=triggered");
            }
        });
        String runId = camel.createProducerTemplate().requestBody("direct:webhook", "{\"who\": \"ada\"}", String.class);
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> engine.queries().get(runId).status() == RunStatus.COMPLETED);
        assertThat(engine.queries().get(runId).node("greet").output()).isEqualTo(Map.of("hello", "ada"));

        assertThatThrownBy(() -> camel.createProducerTemplate().requestBody("direct:webhook", "{\"nobody\": 1}"))
                .hasRootCauseInstanceOf(InvalidInputException.class).hasStackTraceContaining("who");
    }

    @Test
    void aStartMessageCannotNameItsRunNorExecuteAnExistingRunAgain() throws Exception {
        deploy(header("hooked") + """
                    - id: work
                      call: { uri: "direct:effect" }
                    - id: ok
                      needs: [work]
                      gate: { message: "Go?" }
                """);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // as a webhook or Kafka route would: whatever headers the caller sent reach the start step
                from("direct:hook").to("caravan-run:start?workflow=hooked");
            }
        });
        org.apache.camel.ProducerTemplate hook = camel.createProducerTemplate();
        String completed = hook.requestBody("direct:hook", "{}", String.class);
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> engine.queries().get(completed).status() == RunStatus.AWAITING_APPROVAL);
        engine.runs().resolveGate(completed, "ok", true, "ada", null).get(10, TimeUnit.SECONDS);
        String paused = hook.requestBody("direct:hook", "{}", String.class);
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> engine.queries().get(paused).status() == RunStatus.AWAITING_APPROVAL);
        RunRecord completedBefore = engine.queries().get(completed);
        RunRecord pausedBefore = engine.queries().get(paused);
        engine.events().drain(5_000);
        int eventsBefore = events.size();

        List<String> started = new java.util.ArrayList<>();
        for (String existing : List.of(completed, paused)) {
            started.add(hook.requestBodyAndHeaders("direct:hook", "{}",
                    Map.of("CamelCaravanRunId", existing, "CaravanRunId", existing), String.class));
        }
        started.add(hook.requestBodyAndHeader("direct:hook", "{}", "CamelCaravanRunId", "chosen-by-caller",
                String.class));

        assertThat(started).doesNotHaveDuplicates().doesNotContain(completed, paused, "chosen-by-caller");
        for (String id : started) {
            org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> engine.queries().get(id).status() == RunStatus.AWAITING_APPROVAL);
            assertThat(calls(engine.queries().get(id), "work")).isEqualTo(1);
        }
        assertThat(engine.queries().get("chosen-by-caller")).isNull();
        // the existing runs were not touched: no update, no event, no second call of their side effect
        assertThat(engine.queries().get(completed).sequence()).isEqualTo(completedBefore.sequence());
        assertThat(engine.queries().get(paused).sequence()).isEqualTo(pausedBefore.sequence());
        assertThat(calls(completedBefore, "work")).isEqualTo(1);
        assertThat(calls(pausedBefore, "work")).isEqualTo(1);
        engine.events().drain(5_000);
        assertThat(events.subList(eventsBefore, events.size()))
                .noneMatch(e -> e.runId().equals(completed) || e.runId().equals(paused));
    }

    @Test
    void pausedRunsHoldNoThread() throws Exception {
        deploy(header("many-gates") + """
                    - id: ok
                      gate: { message: "Go?" }
                """);
        run("many-gates", Map.of()); // warm the pools up
        int before = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount();
        List<java.util.concurrent.CompletableFuture<RunRecord>> paused = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            paused.add(engine.runs().start(RunService.StartRequest.of("many-gates", Map.of())));
        }
        for (var f : paused) {
            assertThat(f.get(20, TimeUnit.SECONDS).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        }
        int after = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount();
        // 300 runs wait for a human; the threads are the pools', not one per run
        assertThat(after - before).isLessThan(50);
    }

    @Test
    void waitUntilATimestampPausesThenContinues() throws Exception {
        deploy(header("until") + """
                    - id: nap
                      wait: { until: "${{ input.at }}" }
                    - id: after
                      needs: [nap]
                      set: { woke: true }
                """);
        String at = java.time.Instant.now().plusMillis(400).truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
        RunRecord paused = run("until", Map.of("at", at));
        assertThat(paused.status()).isEqualTo(RunStatus.WAITING);
        assertThat(paused.node("nap").detail()).containsEntry("until", at);
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> engine.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        assertThat(engine.queries().get(paused.runId()).node("after").output()).isEqualTo(Map.of("woke", true));
    }

    @Test
    void emitPublishesAnEventOfTheUsersTypeInTheRunsStream() throws Exception {
        deploy(header("emits") + """
                    - id: classify
                      set: { severity: high }
                    - id: notify
                      needs: [classify]
                      emit: { type: ticket.triaged, data: "${{ nodes.classify.output }}" }
                """);
        RunRecord r = run("emits", Map.of());
        engine.events().drain(5_000);
        assertThat(r.node("notify").output()).isEqualTo(Map.of("severity", "high"));
        assertThat(events).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(r.runId());
            assertThat(e.type()).isEqualTo("ticket.triaged");
            assertThat(e.node()).isEqualTo("notify");
            assertThat(e.data()).isEqualTo(Map.of("severity", "high"));
        });
    }

    @Test
    void aCallWhoseWorstCaseExceedsWhatIsLeftOfTheBudgetIsRefused() throws Exception {
        // 100 tokens left; the call's worst case is its prompt plus maxTokens 500
        deploy(header("worst-case").replace("spec:\n", "spec:\n  budget: { tokens: 100 }\n") + """
                    - id: ask
                      agent: { model: scripted, prompt: "short", maxTokens: 500 }
                """);
        RunRecord r = run("worst-case", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("ask").errorClass()).isEqualTo("dev.caravan.llm.LlmException");
        assertThat(r.tokens()).isZero();
    }

    @Test
    void callsToHttpEndpointsCarryTheIdempotencyKeyHeader() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/charge", exchange -> {
            seen.add(exchange.getRequestHeaders().getFirst("Idempotency-Key") + " "
                     + new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            byte[] reply = "{\"charged\": true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
        try {
            deploy(header("charge") + """
                        - id: pay
                          call:
                            uri: "http://127.0.0.1:%d/charge"
                            body: { amount: 5 }
                    """.formatted(server.getAddress().getPort()));
            RunRecord r = run("charge", Map.of());
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
            assertThat(seen).containsExactly(r.runId() + "/pay/1 {\"amount\":5}");
            assertThat(r.node("pay").output()).isEqualTo(Map.of("charged", true));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void textStreamedByAModelThatFailedMidReplyIsTakenBackInTheEvents() throws Exception {
        // Gemini's own recorded stream: two deltas, then an error
        byte[] stream = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(
                "src/test/resources/fixtures/llm/gemini/vertexai-streaming-failure-error-mid-stream.txt"));
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, stream.length);
            exchange.getResponseBody().write(stream);
            exchange.close();
        });
        server.start();
        camel.getPropertiesComponent().addOverrideProperty("caravan.llm.gemini.base-url",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/v1beta");
        camel.getPropertiesComponent().addOverrideProperty("caravan.llm.gemini.api-key", "test-key");
        try {
            deploy(header("midstream") + """
                        - id: answer
                          agent:
                            model: gemini:gemini-2.5-flash
                            fallback: [scripted]
                            prompt: "Hi"
                            scripted: { replies: ["Recovered after the failure."] }
                    """);
            RunRecord r = run("midstream", Map.of());
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
            assertThat(r.node("answer").output()).isEqualTo("Recovered after the failure.");
            engine.events().drain(5_000);
            // whatever the timing of the publication, the text the events stream adds up to the reply
            StringBuilder streamed = new StringBuilder();
            for (RunEvent e : events) {
                if (!e.runId().equals(r.runId())) {
                    continue;
                }
                if (e.type().equals(EventTypes.NODE_OUTPUT_DELTA)) {
                    streamed.append(((Map<?, ?>) e.data()).get("text"));
                } else if (e.type().equals(EventTypes.NODE_OUTPUT_DISCARDED)) {
                    int chars = ((Number) ((Map<?, ?>) e.data()).get("chars")).intValue();
                    streamed.setLength(streamed.length() - chars);
                }
            }
            assertThat(streamed.toString()).isEqualTo("Recovered after the failure.");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void eachToolCallGetsItsOwnIdempotencyKey() throws Exception {
        List<String> keys = new CopyOnWriteArrayList<>();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:tool-keys").process(e -> {
                    keys.add(e.getMessage().getHeader("CamelCaravanIdempotencyKey", String.class));
                    e.getMessage().setBody("ok");
                });
            }
        });
        deploy(header("tool-keys") + """
                    - id: ask
                      agent:
                        model: scripted
                        prompt: "look twice"
                        tools: [lookup]
                        scripted:
                          replies:
                            - toolCalls: [{ name: lookup, arguments: { q: "a" } }, { name: lookup, arguments: { q: "b" } }]
                            - toolCalls: [{ name: lookup, arguments: { q: "c" } }]
                            - "done"
                  tools:
                    lookup:
                      description: Looks something up
                      parameters: { type: object, properties: { q: { type: string } } }
                      uri: direct:tool-keys
                """);
        RunRecord r = run("tool-keys", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(keys).containsExactly(r.runId() + "/ask/1/tool/1.1", r.runId() + "/ask/1/tool/1.2",
                r.runId() + "/ask/1/tool/2.1");
    }

    @Test
    void expressionsKeepTheirOperatorsAndParenthesesInCompiledRoutes() throws Exception {
        deploy(header("operators") + """
                    - id: calc
                      set:
                        sum: ${{ 1 + 2 }}
                        odd: ${{ 7 % 2 }}
                        text: "(a + b) & (c) = ${{ (1 + 1) }}%"
                """);
        RunRecord r = run("operators", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("calc").output()).isEqualTo(Map.of("sum", 3L, "odd", 1L, "text", "(a + b) & (c) = 2%"));
    }
}
