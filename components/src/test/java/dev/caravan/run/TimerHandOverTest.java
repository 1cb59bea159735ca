package dev.caravan.run;

import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Timers only schedule: what follows a retry backoff or a node timeout runs on the engine's worker pool, so a slow
 * node there does not hold up the timers of other runs (gate deadlines, node timeouts).
 */
class TimerHandOverTest {

    /** What the slow node saw while it blocked: whether the other run's timer fired meanwhile. */
    private static final List<String> seenBySlowNode = new CopyOnWriteArrayList<>();
    private static final AtomicInteger flakyCalls = new AtomicInteger();
    private static volatile CountDownLatch slowEntered;
    private static volatile CountDownLatch otherRunDone;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .routes(rb -> {
                rb.from("direct:flaky").process(e -> {
                    if (flakyCalls.incrementAndGet() == 1) {
                        throw new IllegalStateException("first attempt fails");
                    }
                    e.getMessage().setBody("second attempt");
                });
                // blocks the thread it runs on until the other run finished (or gives up after a while)
                rb.from("direct:slow").process(e -> {
                    slowEntered.countDown();
                    seenBySlowNode.add(otherRunDone.await(5, TimeUnit.SECONDS)
                            ? "the other run's timer fired" : "the other run's timer did not fire");
                    e.getMessage().setBody("slow done");
                });
            })
            .build();

    private static void reset() {
        seenBySlowNode.clear();
        slowEntered = new CountDownLatch(1);
        otherRunDone = new CountDownLatch(1);
    }

    @Test
    void aSlowNodeAfterARetryDoesNotDelayAGateDeadlineOfAnotherRun() throws Exception {
        reset();
        caravan.deploy(header("retried-then-slow") + """
                    - id: flaky
                      retry: { maxAttempts: 2, backoff: fixed, initialDelay: 10ms }
                      call: { uri: "direct:flaky" }
                    - id: slow
                      needs: [flaky]
                      call: { uri: "direct:slow" }
                """);
        caravan.deploy(header("deadline") + """
                    - id: ok
                      gate: { message: "Go?", timeout: 10ms, onTimeout: reject }
                    - id: after
                      needs: [ok]
                      set: { ran: true }
                """);
        CompletableFuture<RunRecord> retried = caravan.runs().start(RunService.StartRequest.of("retried-then-slow",
                Map.of()));
        assertThat(slowEntered.await(10, TimeUnit.SECONDS)).isTrue();

        // the slow node now blocks the thread that continued after the backoff; the gate's deadline is due meanwhile
        RunRecord paused = caravan.runs().start(RunService.StartRequest.of("deadline", Map.of())).get(10,
                TimeUnit.SECONDS);
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        await().atMost(20, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        otherRunDone.countDown();

        RunRecord slow = retried.get(20, TimeUnit.SECONDS);
        assertThat(slow.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(slow.node("flaky").attempts()).isEqualTo(2);
        assertThat(caravan.queries().get(paused.runId()).node("ok").status()).isEqualTo(NodeStatus.REJECTED);
        assertThat(seenBySlowNode).containsExactly("the other run's timer fired");
    }

    @Test
    void aSlowNodeAfterATimeoutDoesNotDelayAnotherNodesTimeout() throws Exception {
        reset();
        caravan.deploy(header("timed-out-then-slow") + """
                    - id: hangs
                      onError: continue
                      timeout: 10ms
                      agent: { model: scripted, prompt: hi, scripted: { replies: ["late"], latencyMs: 60000 } }
                    - id: slow
                      needs: [hangs]
                      call: { uri: "direct:slow" }
                """);
        caravan.deploy(header("also-times-out") + """
                    - id: hangs
                      onError: continue
                      timeout: 10ms
                      agent: { model: scripted, prompt: hi, scripted: { replies: ["late"], latencyMs: 60000 } }
                    - id: after
                      needs: [hangs]
                      set: { code: "${{ nodes.hangs.error.code }}" }
                """);
        CompletableFuture<RunRecord> first = caravan.runs().start(RunService.StartRequest.of("timed-out-then-slow",
                Map.of()));
        assertThat(slowEntered.await(10, TimeUnit.SECONDS)).isTrue();

        // the slow node blocks the thread that continued after the first timeout; the second one is due meanwhile
        CompletableFuture<RunRecord> second = caravan.runs().start(RunService.StartRequest.of("also-times-out",
                Map.of()));
        await().atMost(20, TimeUnit.SECONDS).until(second::isDone);
        otherRunDone.countDown();

        assertThat(second.get().node("after").output()).isEqualTo(Map.of("code", "TIMEOUT"));
        assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(seenBySlowNode).containsExactly("the other run's timer fired");
    }
}
