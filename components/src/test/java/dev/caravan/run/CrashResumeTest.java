package dev.caravan.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An instance dies while a node is in flight; another instance on the same Hazelcast state resumes the run: what
 * was recorded never runs again, the node in flight runs again with the same idempotency key.
 */
class CrashResumeTest {

    private static final String WORKFLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: crashy
            spec:
              nodes:
                - id: first
                  call: { uri: "direct:effect" }
                - id: second
                  needs: [first]
                  call: { uri: "direct:effect" }
                - id: third
                  needs: [second]
                  call: { uri: "direct:effect" }
              output: ${{ nodes.third.output }}
            """;

    /** Calls of direct:effect as "node key|idempotency key", across both instances. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** The state both instances share, as members of one cluster would. */
    @RegisterExtension
    final CaravanEngineExtension caravan = CaravanEngineExtension.builder().withoutEngines()
            .workflow("crashy.caravan.yaml", WORKFLOW)
            .build();

    private CamelContext instance(CountDownLatch hangOnSecond) throws Exception {
        return instance(hangOnSecond, false);
    }

    /** With {@code failAfterHang}, the hung call fails once released, as calls cut off by a shutdown do. */
    private CamelContext instance(CountDownLatch hangOnSecond, boolean failAfterHang) throws Exception {
        return caravan.startEngine(0, rb -> rb.from("direct:effect").process(e -> {
            String node = e.getMessage().getHeader("CamelCaravanNodeKey", String.class);
            calls.add(node + "|" + e.getMessage().getHeader("CamelCaravanIdempotencyKey"));
            if (hangOnSecond != null && node.equals("second")) {
                hangOnSecond.await(); // the instance "dies" while this node is in flight
                if (failAfterHang) {
                    throw new IllegalStateException("connection closed by shutdown");
                }
            }
            e.getMessage().setBody("done " + node);
        })).camelContext();
    }

    @Test
    void resumesAfterOwnerCrashWithoutRerunningRecordedNodes() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try {
            CamelContext doomed = instance(never);
            Engine first = doomed.getRegistry().findSingleByType(Engine.class);
            String runId = first.runs().create(RunService.StartRequest.of("crashy", Map.of()));
            first.executor().execute(runId);
            await().atMost(10, TimeUnit.SECONDS).until(() -> calls.stream().anyMatch(c -> c.startsWith("second|")));
            RunRecord midway = first.queries().get(runId);
            assertThat(midway.node("first").status()).isEqualTo(NodeStatus.COMPLETED);
            assertThat(midway.node("second").status()).isEqualTo(NodeStatus.RUNNING);
            // the owner is gone: from here on it never writes again (its in-flight call never returns)

            CamelContext survivor = instance(null);
            Engine second = survivor.getRegistry().findSingleByType(Engine.class);
            RunRecord done = second.runs().resume(runId).get(20, TimeUnit.SECONDS);

            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(done.output()).isEqualTo("done third");
            assertThat(calls.stream().filter(c -> c.startsWith("first|"))).hasSize(1);
            List<String> secondCalls = calls.stream().filter(c -> c.startsWith("second|")).toList();
            assertThat(secondCalls).hasSize(2);
            assertThat(secondCalls.get(0)).isEqualTo(secondCalls.get(1)).isEqualTo("second|" + runId + "/second/1");
            assertThat(calls.stream().filter(c -> c.startsWith("third|"))).hasSize(1);
            survivor.stop();
            doomed.stop();
        } finally {
            never.countDown();
        }
    }

    @Test
    void shutdownLeavesRunsInFlightResumableInsteadOfFailed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try {
            CamelContext stopping = instance(release, true);
            Engine first = stopping.getRegistry().findSingleByType(Engine.class);
            String runId = first.runs().create(RunService.StartRequest.of("crashy", Map.of()));
            CompletableFuture<RunRecord> execution = first.executor().execute(runId);
            await().atMost(10, TimeUnit.SECONDS).until(() -> calls.stream().anyMatch(c -> c.startsWith("second|")));
            Thread stopper = new Thread(stopping::stop);
            stopper.start();
            await().atMost(10, TimeUnit.SECONDS).until(stopping::isStopping);
            release.countDown(); // the call in flight now fails because of the shutdown
            stopper.join(10_000);
            execution.get(10, TimeUnit.SECONDS);

            RunRecord left = first.queries().get(runId);
            assertThat(left.status()).isEqualTo(RunStatus.RUNNING);
            assertThat(left.node("second").status()).isEqualTo(NodeStatus.RUNNING);

            CamelContext next = instance(null);
            RunRecord done = next.getRegistry().findSingleByType(Engine.class).runs().resume(runId)
                    .get(20, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(calls.stream().filter(c -> c.startsWith("first|"))).hasSize(1);
            assertThat(calls.stream().filter(c -> c.startsWith("second|")).distinct())
                    .containsExactly("second|" + runId + "/second/1");
            next.stop();
        } finally {
            release.countDown();
        }
    }

    @Test
    void waitStartedOnOneInstanceElapsesOnTheNext() throws Exception {
        String sleepy = """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: sleepy
                spec:
                  nodes:
                    - id: nap
                      wait: { duration: 1500ms }
                    - id: after
                      needs: [nap]
                      set: { woke: true }
                """;
        CamelContext first = instance(null);
        Engine a = first.getRegistry().findSingleByType(Engine.class);
        a.catalog().deploy(new WorkflowLoader().load("sleepy.caravan.yaml", sleepy));
        RunRecord paused = a.runs().start(RunService.StartRequest.of("sleepy", Map.of())).get(10, TimeUnit.SECONDS);
        assertThat(paused.status()).isEqualTo(RunStatus.WAITING);
        first.stop(); // its timer goes with it

        CamelContext second = instance(null);
        Engine b = second.getRegistry().findSingleByType(Engine.class);
        b.catalog().deploy(new WorkflowLoader().load("sleepy.caravan.yaml", sleepy));
        await().atMost(15, TimeUnit.SECONDS).until(() -> b.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        assertThat(b.queries().get(paused.runId()).node("after").output()).isEqualTo(Map.of("woke", true));
        second.stop();
    }
}
