package dev.caravan.run;

import com.hazelcast.core.HazelcastInstance;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Members of one cluster, each record backed up on another: when a member dies with runs in flight, the survivors
 * take them over and finish them (recorded nodes never run again, the node in flight runs again with the same key);
 * while an owner lives, nobody else executes its runs.
 */
class TakeoverTest {

    private static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: handover
            spec:
              nodes:
                - id: first
                  call: { uri: "direct:effect" }
                - id: second
                  needs: [first]
                  call: { uri: "direct:effect" }
              output: ${{ nodes.second.output }}
            """;
    private static final String GATED_BRANCH = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: branches
            spec:
              nodes:
                - id: slow
                  call: { uri: "direct:slow" }
                - id: ok
                  gate: { message: "Go?" }
                - id: after
                  needs: [ok, slow]
                  call: { uri: "direct:effect" }
              output: ${{ nodes.after.output }}
            """;

    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** Which instance ran each call, by idempotency key. */
    private final Map<String, String> ranOn = new ConcurrentHashMap<>();

    /** A cluster of members on this machine, each record backed up on another, with these workflows. */
    private static CaravanEngineExtension cluster(int members) throws Exception {
        return CaravanEngineExtension.builder().members(members).withoutEngines()
                .workflow("handover.caravan.yaml", FLOW)
                .workflow("branches.caravan.yaml", GATED_BRANCH)
                .build().start();
    }

    private Engine instance(CaravanEngineExtension cluster, int member, CountDownLatch hang) throws Exception {
        return instance(cluster, member, hang, new CountDownLatch(0));
    }

    private Engine instance(CaravanEngineExtension cluster, int member, CountDownLatch hang, CountDownLatch slow)
            throws Exception {
        String name = cluster.hazelcast(member).getName();
        return cluster.startEngine(member, rb -> {
            rb.from("direct:effect").process(e -> {
                String node = e.getMessage().getHeader("CamelCaravanNodeKey", String.class);
                String key = e.getMessage().getHeader("CamelCaravanIdempotencyKey", String.class);
                calls.add(key);
                ranOn.put(key, name);
                if (hang != null && node.equals("second")) {
                    hang.await();
                }
                e.getMessage().setBody("done " + node);
            });
            rb.from("direct:slow").process(e -> slow.await());
        });
    }

    @Test
    void survivorsTakeOverAndFinishTheRunsOfAMemberThatDied() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        // the hung calls are let go before the instances stop, as resources close in reverse order
        try (CaravanEngineExtension cluster = cluster(3); AutoCloseable release = never::countDown) {
            HazelcastInstance hzA = cluster.hazelcast(0);
            HazelcastInstance hzB = cluster.hazelcast(1);
            HazelcastInstance hzC = cluster.hazelcast(2);
            Engine a = instance(cluster, 0, null);
            Engine doomed = instance(cluster, 1, never);
            Engine c = instance(cluster, 2, null);
            String doomedId = hzB.getCluster().getLocalMember().getUuid().toString();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String id = doomed.runs().create(RunService.StartRequest.of("handover", Map.of()));
                doomed.executor().execute(id);
                ids.add(id);
            }
            await().atMost(20, TimeUnit.SECONDS).until(() -> ids.stream().allMatch(
                    id -> calls.contains(id + "/second/1")));
            // while the owner lives, another member's sweep leaves its runs alone
            assertThat(a.runs().resumeOrphans()).isEmpty();
            assertThat(c.runs().resumeOrphans()).isEmpty();

            long killedAt = System.nanoTime();
            hzB.getLifecycleService().terminate(); // the member dies with 30 runs in flight

            await().atMost(30, TimeUnit.SECONDS).until(() -> ids.stream().allMatch(
                    id -> a.queries().get(id) != null && a.queries().get(id).status() == RunStatus.COMPLETED));
            System.out.printf("takeover: all 30 runs finished %d ms after their owner died%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
            Set<String> takenOverBy = new HashSet<>();
            for (String id : ids) {
                RunRecord r = a.queries().get(id);
                assertThat(r.output()).isEqualTo("done second");
                assertThat(r.takeovers()).isEqualTo(1);
                assertThat(calls.stream().filter(k -> k.equals(id + "/first/1"))).hasSize(1);
                assertThat(calls.stream().filter(k -> k.startsWith(id + "/second/")))
                        .containsExactly(id + "/second/1", id + "/second/1");
                takenOverBy.add(ranOn.get(id + "/second/1"));
            }
            assertThat(takenOverBy).as("each survivor takes the runs whose records it holds")
                    .containsExactlyInAnyOrder(hzA.getName(), hzC.getName());
            cluster.eventBus().drain(5_000);
            assertThat(cluster.events()).filteredOn(e -> e.type().equals(EventTypes.RUN_RESUMED)
                                             && doomedId.equals(((Map<?, ?>) e.data()).get("previousOwner")))
                    .extracting(RunEvent::runId).containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    @Test
    void anApprovalReachingAnotherMemberContinuesTheRunOnItsOwner() throws Exception {
        CountDownLatch slow = new CountDownLatch(1);
        try (CaravanEngineExtension cluster = cluster(2); AutoCloseable release = slow::countDown) {
            HazelcastInstance hzA = cluster.hazelcast(0);
            Engine owner = instance(cluster, 0, null, slow);
            Engine other = instance(cluster, 1, null, slow);
            String id = owner.runs().create(RunService.StartRequest.of("branches", Map.of()));
            CompletableFuture<RunRecord> run = owner.executor().execute(id);
            // the gate waits in one branch while the other branch is still running on its owner
            await().atMost(10, TimeUnit.SECONDS).until(() -> owner.queries().pendingGates(id).containsKey(id));
            assertThat(owner.queries().get(id).status()).isEqualTo(RunStatus.RUNNING);

            other.runs().resolveGate(id, "ok", true, "bob", null);
            assertThat(other.queries().get(id).owner()).isEqualTo(owner.store().memberId());
            slow.countDown();

            await().atMost(10, TimeUnit.SECONDS).until(() -> owner.queries().get(id).status() == RunStatus.COMPLETED);
            assertThat(owner.queries().get(id).output()).isEqualTo("done after");
            assertThat(ranOn).containsEntry(id + "/after/1", hzA.getName());
            assertThat(calls).containsOnlyOnce(id + "/after/1");
            assertThat(run.get(10, TimeUnit.SECONDS).status()).isEqualTo(RunStatus.COMPLETED);
        }
    }
}
