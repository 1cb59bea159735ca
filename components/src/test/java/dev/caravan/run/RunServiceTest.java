package dev.caravan.run;

import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import dev.caravan.test.LocalHttpServer;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Run lifecycle on one embedded engine: replay, gates, skips, cancel, retries, containers and events. */
class RunServiceTest {

    private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    private static final CountDownLatch held = new CountDownLatch(1);

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            // a side effect that counts how often each node called it
            .routes(rb -> {
                rb.from("direct:effect").process(e -> {
                    String node = e.getMessage().getHeader("CamelCaravanNodeKey", String.class);
                    calls.computeIfAbsent(e.getMessage().getHeader("CamelCaravanRunId") + "/" + node,
                            k -> new AtomicInteger()).incrementAndGet();
                    AtomicInteger left = failuresLeft.get(node);
                    if (left != null && left.getAndDecrement() > 0) {
                        throw new IllegalStateException("effect failed on purpose");
                    }
                    e.getMessage().setBody("done " + node);
                });
                // says which thread carried the run to it
                rb.from("direct:thread").process(e -> e.getMessage().setBody(Thread.currentThread().getName()));
                // a side effect that goes on until the test lets it
                rb.from("direct:held").process(e -> {
                    if (!held.await(20, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                    e.getMessage().setBody("released");
                });
            })
            .build();

    private static int calls(RunRecord r, String node) {
        AtomicInteger n = calls.get(r.runId() + "/" + node);
        return n == null ? 0 : n.get();
    }


    @Test
    void skipsNodeWhenConditionIsFalseAndWhatOnlyItLeadsTo() throws Exception {
        caravan.deploy(header("skips") + """
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
        RunRecord r = caravan.run("skips", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("b").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(r.node("c").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(r.node("d").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(r.node("d").output()).isEqualTo(Map.of("seen", "skipped"));
    }

    @Test
    void gateApprovalResumesWithoutRerunningSideEffectsBeforeTheGate() throws Exception {
        caravan.deploy(header("approve-flow") + """
                    - id: before
                      call: { uri: "direct:effect" }
                    - id: ok
                      needs: [before]
                      gate: { message: "Go?" }
                    - id: after
                      needs: [ok]
                      call: { uri: "direct:effect" }
                """);
        RunRecord paused = caravan.run("approve-flow", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").detail()).containsEntry("message", "Go?");
        assertThat(calls(paused, "after")).isZero();

        RunRecord done = caravan.runs().resolveGate(paused.runId(), "ok", true, "ada", "fine")
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(calls(done, "before")).isEqualTo(1);
        assertThat(calls(done, "after")).isEqualTo(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> decision = (Map<String, Object>) done.node("ok").output();
        assertThat(decision).containsEntry("approved", true).containsEntry("by", "ada");
    }

    @Test
    void aGateResolvedOrARetryForTheWorkerPoolGoesOnOffTheCallersThread() throws Exception {
        caravan.deploy(header("approve-elsewhere") + """
                    - id: ok
                      gate: { message: "Go?" }
                    - id: after
                      needs: [ok]
                      call: { uri: "direct:thread" }
                """);
        RunRecord paused = caravan.run("approve-elsewhere", Map.of());
        String caller = Thread.currentThread().getName();

        RunRecord done = caravan.runs().resolveGate(paused.runId(), "ok", true, "ada", null,
                RunService.Continuation.WORKER_POOL).get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("after").output()).isNotEqualTo(caller);

        RunRecord again = caravan.runs().retryFrom(paused.runId(), "after", RunService.Continuation.WORKER_POOL)
                .get(20, TimeUnit.SECONDS);
        assertThat(again.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(again.node("after").output()).isNotEqualTo(caller);
        // the contrast: without the hand-off the caller's thread carries the run
        RunRecord here = caravan.runs().retryFrom(paused.runId(), "after").get(20, TimeUnit.SECONDS);
        assertThat(here.node("after").output()).isEqualTo(caller);
    }

    @Test
    void aWorkflowThatRunsAWorkflowNobodyDeployedIsNotDeployedEither() {
        Workflow parent = new WorkflowLoader().load("orphan-parent.caravan.yaml", header("orphan-parent") + """
                    - id: child
                      workflow: { name: nowhere-to-be-found }
                """);
        assertThatThrownBy(() -> caravan.engine().catalog().deploy(parent, null, Map.of()))
                .isInstanceOf(UnknownWorkflowException.class)
                .hasMessageContaining("nowhere-to-be-found");
        assertThat(caravan.engine().catalog().get("orphan-parent")).isNull();
        assertThat(caravan.camelContext().getRoute(WorkflowRoutes.ROUTE_PREFIX + "orphan-parent")).isNull();
    }

    @Test
    void rejectedGateSkipsItsDependents() throws Exception {
        caravan.deploy(header("reject-flow") + """
                    - id: ok
                      gate: { message: "Go?" }
                    - id: after
                      needs: [ok]
                      call: { uri: "direct:effect" }
                """);
        RunRecord paused = caravan.run("reject-flow", Map.of());
        RunRecord done = caravan.runs().resolveGate(paused.runId(), "ok", false, "ada", "no").get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("ok").status()).isEqualTo(NodeStatus.REJECTED);
        assertThat(done.node("after").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(calls(done, "after")).isZero();
    }

    @Test
    void gateInOneParallelBranchLetsTheOtherBranchFinish() throws Exception {
        caravan.deploy(header("branches") + """
                    - id: ok
                      gate: { message: "Go?" }
                    - id: work
                      call: { uri: "direct:effect" }
                    - id: join
                      needs: [ok, work]
                      set: { both: true }
                """);
        RunRecord paused = caravan.run("branches", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("work").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(paused.node("join")).isNull();
        RunRecord done = caravan.runs().resolveGate(paused.runId(), "ok", true, "ada", null).get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(calls(done, "work")).isEqualTo(1);
        assertThat(done.output()).isEqualTo(Map.of("ok", done.node("ok").output(), "work", "done work",
                "join", Map.of("both", true)));
    }

    @Test
    void gateInsideSubWorkflowPausesTheParentUntilApproved() throws Exception {
        caravan.deploy(header("child-gate") + """
                    - id: ok
                      gate: { message: "Child go?" }
                    - id: work
                      needs: [ok]
                      agent: { model: scripted, prompt: "child work", scripted: { replies: ["child says hi"] } }
                  output: ${{ nodes.work.output }}
                """);
        caravan.deploy(header("parent-of-gate") + """
                    - id: sub
                      workflow: { name: child-gate }
                    - id: after
                      needs: [sub]
                      set: { got: "${{ nodes.sub.output }}" }
                """);
        RunRecord paused = caravan.run("parent-of-gate", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        String child = paused.runId() + ":sub";
        assertThat(caravan.queries().pendingGates(paused.runId())).containsEntry(child, List.of("ok"));

        caravan.runs().resolveGate(child, "ok", true, "ada", null).get(20, TimeUnit.SECONDS);
        Awaitility.await().atMost(20, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        RunRecord done = caravan.queries().get(paused.runId());
        assertThat(done.node("after").output()).isEqualTo(Map.of("got", "child says hi"));
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(child);
            assertThat(e.parentRunId()).isEqualTo(paused.runId());
            assertThat(e.type()).isEqualTo(EventTypes.NODE_OUTPUT_DELTA);
        });
    }

    @Test
    void pendingGatesAreTheGatesNotTheMapsLoopsAndWorkflowNodesAroundThem() throws Exception {
        caravan.deploy(header("nested-gate-child") + """
                    - id: ok
                      gate: { message: "Child go?" }
                """);
        caravan.deploy(header("nested-gates") + """
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
        RunRecord paused = caravan.run("nested-gates", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("each").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("again").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("sub").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);

        Map<String, List<String>> gates = caravan.queries().pendingGates(paused.runId());
        String child = paused.runId() + ":sub";
        assertThat(gates).containsOnlyKeys(paused.runId(), child);
        assertThat(gates.get(paused.runId())).containsExactlyInAnyOrder("each[0].check", "each[1].check",
                "again[0].confirm");
        assertThat(gates.get(child)).containsExactly("ok");
    }

    @Test
    void gateInsideOneMapItemPausesTheRunAndItemsKeepTheirKeys() throws Exception {
        caravan.deploy(header("map-gate") + """
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
        RunRecord paused = caravan.run("map-gate", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("each[1].check").status()).isEqualTo(NodeStatus.AWAITING_APPROVAL);
        assertThat(paused.node("each[0].work").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(paused.node("each[2].check").status()).isEqualTo(NodeStatus.SKIPPED);

        RunRecord done = caravan.runs().resolveGate(paused.runId(), "each[1].check", true, "ada", null)
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.node("each").output()).isEqualTo(List.of("skipped", "completed", "skipped"));
        assertThat(done.node("each[1].work").output()).isEqualTo("work on 20");
        assertThat(done.node("each").attempts()).as("continuing inside a container is not a new attempt").isEqualTo(1);
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).filteredOn(e -> e.runId().equals(done.runId()) && "each".equals(e.node())
                                           && e.type().equals(EventTypes.NODE_STARTED))
                .extracting(e -> (Object) ((Map<?, ?>) e.data()).get("attempt")).containsOnly(1);
        assertThat(caravan.events()).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(done.runId());
            assertThat(e.node()).isEqualTo("each[1].work");
            assertThat(e.type()).isEqualTo(EventTypes.NODE_OUTPUT_DELTA);
        });
    }

    @Test
    void loopRecordsEachIterationUnderItsOwnKey() throws Exception {
        caravan.deploy(header("loop-keys") + """
                    - id: refine
                      loop:
                        max: 4
                        until: ${{ nodes.step.output.n >= 2 }}
                        nodes:
                          - id: step
                            set: { n: "${{ iteration }}" }
                        output: ${{ nodes.step.output.n }}
                """);
        RunRecord r = caravan.run("loop-keys", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.nodes()).containsKeys("refine[0].step", "refine[1].step", "refine[2].step")
                .doesNotContainKey("refine[3].step");
        assertThat(((Number) r.node("refine").output()).intValue()).isEqualTo(2);
    }

    @Test
    void cancelEndsAPausedRunAndRefusesLaterApproval() throws Exception {
        caravan.deploy(header("cancel-flow") + """
                    - id: ok
                      gate: { message: "Go?" }
                """);
        RunRecord paused = caravan.run("cancel-flow", Map.of());
        RunRecord cancelled = caravan.runs().cancel(paused.runId(), "changed my mind");
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelled.error()).isEqualTo("changed my mind");
        assertThatThrownBy(() -> caravan.runs().resolveGate(paused.runId(), "ok", true, "ada", null))
                .isInstanceOf(RunConflictException.class).hasMessageContaining("run is cancelled");
    }

    @Test
    void failedNodeAfterRetriesFailsTheRunWithNodeErrorClassAndMessage() throws Exception {
        failuresLeft.put("flaky", new AtomicInteger(100));
        caravan.deploy(header("fails") + """
                    - id: flaky
                      retry: { maxAttempts: 3, backoff: fixed, initialDelay: 10ms }
                      call: { uri: "direct:effect" }
                """);
        RunRecord r = caravan.run("fails", Map.of());
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
        caravan.deploy(header("retries") + """
                    - id: twice
                      retry: { maxAttempts: 3, backoff: exponential, initialDelay: 5ms }
                      call: { uri: "direct:effect" }
                """);
        RunRecord r = caravan.run("retries", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("twice").attempts()).isEqualTo(2);
        assertThat(calls(r, "twice")).isEqualTo(2);
    }

    @Test
    void retryFromNodeRerunsItAndItsDependentsOnly() throws Exception {
        caravan.deploy(header("retry-from") + """
                    - id: first
                      call: { uri: "direct:effect" }
                    - id: second
                      needs: [first]
                      call: { uri: "direct:effect" }
                    - id: third
                      needs: [second]
                      call: { uri: "direct:effect" }
                """);
        RunRecord r = caravan.run("retry-from", Map.of());
        RunRecord again = caravan.runs().retryFrom(r.runId(), "second").get(20, TimeUnit.SECONDS);
        assertThat(again.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(calls(again, "first")).isEqualTo(1);
        assertThat(calls(again, "second")).isEqualTo(2);
        assertThat(calls(again, "third")).isEqualTo(2);
    }

    @Test
    void invalidInputIsRefusedBeforeAnyRunExists() {
        caravan.deploy(header("typed") .replace("spec:\n", "spec:\n  input: { type: object, required: [name] }\n") + """
                    - id: a
                      set: { x: 1 }
                """);
        int before = caravan.queries().page(RunQuery.of(List.of(), RunQuery.MAX_LIMIT)).runs().size();
        assertThatThrownBy(() -> caravan.runs().start(RunService.StartRequest.of("typed", Map.of("nom", "x"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
        assertThat(caravan.queries().page(RunQuery.of(List.of(), RunQuery.MAX_LIMIT)).runs()).hasSize(before);
    }

    @Test
    void everyRunNumbersItsEventsContiguouslyFromOne() throws Exception {
        caravan.deploy(header("numbered") + """
                    - id: a
                      agent: { model: scripted, prompt: "one two three four" }
                    - id: b
                      agent: { model: scripted, prompt: "five six" }
                    - id: c
                      needs: [a, b]
                      set: { done: true }
                """);
        RunRecord r = caravan.run("numbered", Map.of());
        caravan.eventBus().drain(5_000);
        List<Long> seq = caravan.events().stream().filter(e -> e.runId().equals(r.runId())).map(RunEvent::sequence)
                .toList();
        assertThat(seq).isNotEmpty();
        for (int i = 0; i < seq.size(); i++) {
            assertThat(seq.get(i)).isEqualTo(i + 1L);
        }
        assertThat(seq.get(seq.size() - 1)).isEqualTo(r.sequence());
    }

    @Test
    void agentCallIsRefusedBeforeItLeavesOnceTheTokenBudgetIsSpent() throws Exception {
        caravan.deploy(header("budgeted").replace("spec:\n", "spec:\n  budget: { tokens: 60 }\n") + """
                    - id: first
                      agent: { model: scripted, prompt: "a prompt that uses about fifteen tokens..", maxTokens: 20 }
                    - id: second
                      needs: [first]
                      agent: { model: scripted, prompt: "never sent", maxTokens: 40 }
                """);
        RunRecord r = caravan.run("budgeted", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("first").status()).isEqualTo(NodeStatus.COMPLETED);
        assertThat(r.errorNode()).isEqualTo("second");
        assertThat(r.node("second").errorClass()).isEqualTo("dev.caravan.llm.LlmException");
        assertThat(r.error()).contains("left of the token budget; nothing was sent");
        assertThat(r.node("second").attempts()).isEqualTo(1);
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).noneSatisfy(e -> {
            assertThat(e.runId()).isEqualTo(r.runId());
            assertThat(e.node()).isEqualTo("second");
            assertThat(e.type()).isEqualTo(EventTypes.NODE_OUTPUT_DELTA);
        });
        // the refusal is a policy's, said right before the node's failure
        List<RunEvent> ofSecond = caravan.events().stream()
                .filter(e -> e.runId().equals(r.runId()) && "second".equals(e.node())).toList();
        assertThat(ofSecond).extracting(RunEvent::type)
                .containsSubsequence(EventTypes.POLICY_DENIED, EventTypes.NODE_FAILED);
        RunEvent denied = ofSecond.stream().filter(e -> e.type().equals(EventTypes.POLICY_DENIED)).findFirst()
                .orElseThrow();
        assertThat(denied.data()).isEqualTo(Map.of("policy", "budget", "reason", r.error()));
    }

    @Test
    void aBrokenRouteFileBesideAWorkflowFailsOnlyWhatCallsIt(@TempDir Path dir)
            throws Exception {
        Files.writeString(dir.resolve("broken.camel.yaml"), "- route:\n    from:\n      uri: direct:x\n      steps:\n        - nonsense: {}\n");
        Files.writeString(dir.resolve("fine.caravan.yaml"), header("fine") + """
                    - id: a
                      set: { ok: true }
                """);
        caravan.engine().catalog().deploy(dir.resolve("fine.caravan.yaml"));
        assertThat(caravan.engine().catalog().routeProblems())
                .anySatisfy(p -> assertThat(p).contains("broken.camel.yaml"));
        assertThat(caravan.run("fine", Map.of()).status()).isEqualTo(RunStatus.COMPLETED);
    }

    private RunRecord timedOutGate(String name, String onTimeout) throws Exception {
        caravan.deploy(header(name) + """
                    - id: ok
                      gate: { message: "Go?", timeout: 300ms, onTimeout: %s }
                    - id: after
                      needs: [ok]
                      set: { done: true }
                """.formatted(onTimeout));
        RunRecord paused = caravan.run(name, Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(paused.node("ok").detail()).containsKeys("deadline").containsEntry("onTimeout", onTimeout);
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused.runId()).status().isTerminal());
        return caravan.queries().get(paused.runId());
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
        caravan.deploy(header("routed") + """
                    - id: send
                      call: { uri: "direct:${{ input.target }}" }
                """);
        RunRecord r = caravan.run("routed", Map.of("target", "effect"));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("send").output()).isEqualTo("done send");
    }

    @Test
    void moreComputedTargetsThanTheProducerCacheHoldsAllGetTheirCall() throws Exception {
        caravan.deploy(header("fanout") + """
                    - id: each
                      map:
                        items: "${{ [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79] }}"
                        concurrency: 8
                        nodes:
                          - id: send
                            call: { uri: "log:caravan.test.target${{ item }}?level=OFF", body: "${{ item }}" }
                """);
        RunRecord r = caravan.run("fanout", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat((List<?>) r.node("each").output()).hasSize(80);
    }

    @Test
    void runExecutesOnTheCallersThreadAndReturnsTheOutcome() throws Exception {
        caravan.deploy(header("inline") + """
                    - id: where
                      call: { uri: "direct:thread-name" }
                """);
        caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:thread-name").setBody(exchange -> Thread.currentThread().getName());
            }
        });
        RunRecord r = caravan.runs().run(RunService.StartRequest.of("inline", Map.of()));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("where").output()).isEqualTo(Thread.currentThread().getName());
    }

    @Test
    void mapRunsBlockingItemsSideBySideButNoMoreThanItsConcurrency() throws Exception {
        CyclicBarrier pairs = new CyclicBarrier(2);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        caravan.camelContext().addRoutes(new RouteBuilder() {
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
        caravan.deploy(header("pairs") + """
                    - id: each
                      map:
                        items: ${{ [1, 2, 3, 4, 5, 6] }}
                        concurrency: 2
                        nodes:
                          - id: work
                            call: { uri: "direct:blocking" }
                        output: ${{ nodes.work.output }}
                """);
        RunRecord r = caravan.run("pairs", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("each").output()).isEqualTo(List.of("ok", "ok", "ok", "ok", "ok", "ok"));
        assertThat(most.get()).isEqualTo(2);
    }

    @Test
    void anyRouteStartsARunWithCaravanRunStart() throws Exception {
        caravan.deploy(header("triggered")
                .replace("spec:\n", "spec:\n  input: { type: object, required: [who] }\n") + """
                    - id: greet
                      set: { hello: "${{ input.who }}" }
                """);
        caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:webhook").to("caravan-run:start?workflow=triggered");
            }
        });
        String runId = caravan.camelContext().createProducerTemplate()
                .requestBody("direct:webhook", "{\"who\": \"ada\"}", String.class);
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(runId).status() == RunStatus.COMPLETED);
        assertThat(caravan.queries().get(runId).node("greet").output()).isEqualTo(Map.of("hello", "ada"));

        assertThatThrownBy(() -> caravan.camelContext().createProducerTemplate()
                .requestBody("direct:webhook", "{\"nobody\": 1}"))
                .hasRootCauseInstanceOf(InvalidInputException.class).hasStackTraceContaining("who");
    }

    @Test
    void aStartMessageCannotNameItsRunNorExecuteAnExistingRunAgain() throws Exception {
        caravan.deploy(header("hooked") + """
                    - id: work
                      call: { uri: "direct:effect" }
                    - id: ok
                      needs: [work]
                      gate: { message: "Go?" }
                """);
        caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // as a webhook or Kafka route would: whatever headers the caller sent reach the start step
                from("direct:hook").to("caravan-run:start?workflow=hooked");
            }
        });
        ProducerTemplate hook = caravan.camelContext().createProducerTemplate();
        String completed = hook.requestBody("direct:hook", "{}", String.class);
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(completed).status() == RunStatus.AWAITING_APPROVAL);
        caravan.runs().resolveGate(completed, "ok", true, "ada", null).get(10, TimeUnit.SECONDS);
        String paused = hook.requestBody("direct:hook", "{}", String.class);
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused).status() == RunStatus.AWAITING_APPROVAL);
        RunRecord completedBefore = caravan.queries().get(completed);
        RunRecord pausedBefore = caravan.queries().get(paused);
        caravan.eventBus().drain(5_000);
        int eventsBefore = caravan.events().size();

        List<String> started = new ArrayList<>();
        for (String existing : List.of(completed, paused)) {
            started.add(hook.requestBodyAndHeaders("direct:hook", "{}",
                    Map.of("CamelCaravanRunId", existing, "CaravanRunId", existing), String.class));
        }
        started.add(hook.requestBodyAndHeader("direct:hook", "{}", "CamelCaravanRunId", "chosen-by-caller",
                String.class));

        assertThat(started).doesNotHaveDuplicates().doesNotContain(completed, paused, "chosen-by-caller");
        for (String id : started) {
            Awaitility.await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> caravan.queries().get(id).status() == RunStatus.AWAITING_APPROVAL);
            assertThat(calls(caravan.queries().get(id), "work")).isEqualTo(1);
        }
        assertThat(caravan.queries().get("chosen-by-caller")).isNull();
        // the existing runs were not touched: no update, no event, no second call of their side effect
        assertThat(caravan.queries().get(completed).sequence()).isEqualTo(completedBefore.sequence());
        assertThat(caravan.queries().get(paused).sequence()).isEqualTo(pausedBefore.sequence());
        assertThat(calls(completedBefore, "work")).isEqualTo(1);
        assertThat(calls(pausedBefore, "work")).isEqualTo(1);
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events().subList(eventsBefore, caravan.events().size()))
                .noneMatch(e -> e.runId().equals(completed) || e.runId().equals(paused));
    }

    @Test
    void startReturnsTheRunsIdWhileTheRunIsStillRunning() throws Exception {
        caravan.deploy(header("held") + """
                    - id: slow
                      call: { uri: "direct:held" }
                """);
        StartedRun started = caravan.runs().start(RunService.StartRequest.of("held", Map.of()));
        assertThat(started.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(started).isNotDone();
        assertThat(caravan.queries().get(started.runId()).status()).isEqualTo(RunStatus.RUNNING);
        held.countDown();
        RunRecord done = started.get(20, TimeUnit.SECONDS);
        assertThat(done.runId()).isEqualTo(started.runId());
        assertThat(done.node("slow").output()).isEqualTo("released");
    }

    @Test
    void pausedRunsHoldNoThread() throws Exception {
        caravan.deploy(header("many-gates") + """
                    - id: ok
                      gate: { message: "Go?" }
                """);
        caravan.run("many-gates", Map.of()); // warm the pools up
        int before = ManagementFactory.getThreadMXBean().getThreadCount();
        List<CompletableFuture<RunRecord>> paused = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            paused.add(caravan.runs().start(RunService.StartRequest.of("many-gates", Map.of())));
        }
        for (var f : paused) {
            assertThat(f.get(20, TimeUnit.SECONDS).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        }
        int after = ManagementFactory.getThreadMXBean().getThreadCount();
        // 300 runs wait for a human; the threads are the pools', not one per run
        assertThat(after - before).isLessThan(50);
    }

    @Test
    void waitUntilATimestampPausesThenContinues() throws Exception {
        caravan.deploy(header("until") + """
                    - id: nap
                      wait: { until: "${{ input.at }}" }
                    - id: after
                      needs: [nap]
                      set: { woke: true }
                """);
        String at = Instant.now().plusMillis(400).truncatedTo(ChronoUnit.MILLIS).toString();
        RunRecord paused = caravan.run("until", Map.of("at", at));
        assertThat(paused.status()).isEqualTo(RunStatus.WAITING);
        assertThat(paused.node("nap").detail()).containsEntry("until", at);
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        assertThat(caravan.queries().get(paused.runId()).node("after").output()).isEqualTo(Map.of("woke", true));
    }

    @Test
    void emitPublishesAnEventOfTheUsersTypeInTheRunsStream() throws Exception {
        caravan.deploy(header("emits") + """
                    - id: classify
                      set: { severity: high }
                    - id: notify
                      needs: [classify]
                      emit: { type: ticket.triaged, data: "${{ nodes.classify.output }}" }
                """);
        RunRecord r = caravan.run("emits", Map.of());
        caravan.eventBus().drain(5_000);
        assertThat(r.node("notify").output()).isEqualTo(Map.of("severity", "high"));
        assertThat(caravan.events()).anySatisfy(e -> {
            assertThat(e.runId()).isEqualTo(r.runId());
            assertThat(e.type()).isEqualTo("ticket.triaged");
            assertThat(e.node()).isEqualTo("notify");
            assertThat(e.data()).isEqualTo(Map.of("severity", "high"));
        });
    }

    @Test
    void aCallWhoseWorstCaseExceedsWhatIsLeftOfTheBudgetIsRefused() throws Exception {
        // 100 tokens left; the call's worst case is its prompt plus maxTokens 500
        caravan.deploy(header("worst-case").replace("spec:\n", "spec:\n  budget: { tokens: 100 }\n") + """
                    - id: ask
                      agent: { model: scripted, prompt: "short", maxTokens: 500 }
                """);
        RunRecord r = caravan.run("worst-case", Map.of());
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("ask").errorClass()).isEqualTo("dev.caravan.llm.LlmException");
        assertThat(r.tokens()).isZero();
    }

    @Test
    void callsToHttpEndpointsCarryTheIdempotencyKeyHeader() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (LocalHttpServer server = LocalHttpServer.start("/charge", exchange -> {
            seen.add(exchange.getRequestHeaders().getFirst("Idempotency-Key") + " "
                     + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            LocalHttpServer.reply(exchange, "application/json",
                    "{\"charged\": true}".getBytes(StandardCharsets.UTF_8));
        })) {
            caravan.deploy(header("charge") + """
                        - id: pay
                          call:
                            uri: "%s/charge"
                            body: { amount: 5 }
                    """.formatted(server.url()));
            RunRecord r = caravan.run("charge", Map.of());
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
            assertThat(seen).containsExactly(r.runId() + "/pay/1 {\"amount\":5}");
            assertThat(r.node("pay").output()).isEqualTo(Map.of("charged", true));
        }
    }

    @Test
    void textStreamedByAModelThatFailedMidReplyIsTakenBackInTheEvents() throws Exception {
        // Gemini's own recorded stream: two deltas, then an error
        byte[] stream = Files.readAllBytes(Path.of(
                "src/test/resources/fixtures/llm/gemini/vertexai-streaming-failure-error-mid-stream.txt"));
        try (LocalHttpServer server = LocalHttpServer.start("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            LocalHttpServer.reply(exchange, "text/event-stream", stream);
        })) {
            caravan.camelContext().getPropertiesComponent().addOverrideProperty("caravan.llm.gemini.base-url",
                    server.url() + "/v1beta");
            caravan.camelContext().getPropertiesComponent().addOverrideProperty("caravan.llm.gemini.api-key",
                    "test-key");
            caravan.deploy(header("midstream") + """
                        - id: answer
                          agent:
                            model: gemini:gemini-2.5-flash
                            fallback: [scripted]
                            prompt: "Hi"
                            scripted: { replies: ["Recovered after the failure."] }
                    """);
            RunRecord r = caravan.run("midstream", Map.of());
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
            assertThat(r.node("answer").output()).isEqualTo("Recovered after the failure.");
            caravan.eventBus().drain(5_000);
            // whatever the timing of the publication, the text the events stream adds up to the reply
            StringBuilder streamed = new StringBuilder();
            for (RunEvent e : caravan.events()) {
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
        }
    }

    @Test
    void eachToolCallGetsItsOwnIdempotencyKey() throws Exception {
        List<String> keys = new CopyOnWriteArrayList<>();
        caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:tool-keys").process(e -> {
                    keys.add(e.getMessage().getHeader("CamelCaravanIdempotencyKey", String.class));
                    e.getMessage().setBody("ok");
                });
            }
        });
        caravan.deploy(header("tool-keys") + """
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
        RunRecord r = caravan.run("tool-keys", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(keys).containsExactly(r.runId() + "/ask/1/tool/1.1", r.runId() + "/ask/1/tool/1.2",
                r.runId() + "/ask/1/tool/2.1");
    }

    @Test
    void expressionsKeepTheirOperatorsAndParenthesesInCompiledRoutes() throws Exception {
        caravan.deploy(header("operators") + """
                    - id: calc
                      set:
                        sum: ${{ 1 + 2 }}
                        odd: ${{ 7 % 2 }}
                        text: "(a + b) & (c) = ${{ (1 + 1) }}%"
                """);
        RunRecord r = caravan.run("operators", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("calc").output()).isEqualTo(Map.of("sum", 3L, "odd", 1L, "text", "(a + b) & (c) = 2%"));
    }
}
