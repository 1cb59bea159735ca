package dev.caravan.run;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.LaneRecord;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Lanes on two members of one cluster: the cap, the queue order, cleanup, memory and quarantine. */
class LaneTest {

    private static final String GATED = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: gated
            spec:
              nodes:
                - id: ok
                  gate: { message: "Go?" }
            """;
    private static final String BROKEN = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: broken
            spec:
              nodes:
                - id: ask
                  agent: { model: scripted, prompt: "x", scripted: { replies: [{ error: { type: auth, message: "bad key" } }] } }
            """;

    private static final String CHAT = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: chat
            spec:
              nodes:
                - id: reply
                  agent:
                    model: scripted
                    prompt: "Earlier: ${{ has(lane.memory.history) ? lane.memory.history : [] }}. Now: ${{ input.say }}"
                    scripted: { replies: ["noted"] }
                - id: before
                  set: { seen: "Earlier: ${{ has(lane.memory.history) ? lane.memory.history : [] }}" }
                - id: keep
                  needs: [reply, before]
                  remember:
                    history: "${{ (has(lane.memory.history) ? lane.memory.history : []) + [input.say] }}"
              output: ${{ lane.memory.history }}
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .members(2)
            .workflow("gated.caravan.yaml", GATED)
            .workflow("broken.caravan.yaml", BROKEN)
            .workflow("chat.caravan.yaml", CHAT)
            .build();

    /** The first member's caravan.engine(). */
    private static Engine a() {
        return caravan.engine(0);
    }

    /** The second member's caravan.engine(). */
    private static Engine b() {
        return caravan.engine(1);
    }

    private static RunService.StartRequest inLane(String workflow, String lane) {
        return new RunService.StartRequest(workflow, Map.of(), "acme", lane, null, null, null);
    }

    @Test
    void capHoldsUnderConcurrentStartsFromTwoMembersAndQueuedRunsStartInOrder() throws Exception {
        assertThat(caravan.hazelcast(0).getCluster().getMembers()).hasSize(2);
        a().lanes().create("support-42", "acme", 2);
        List<String> ids = new CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> starters = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Engine via = i % 2 == 0 ? a() : b();
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    ids.add(via.runs().start(inLane("gated", "support-42")).get(10, TimeUnit.SECONDS).runId());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            starters.add(t);
        }
        go.countDown();
        for (Thread t : starters) {
            t.join(20_000);
        }
        assertThat(ids).hasSize(10);
        await().atMost(10, TimeUnit.SECONDS).until(() -> ids.stream()
                .filter(id -> a().queries().get(id).status() == RunStatus.AWAITING_APPROVAL).count() == 2);
        LaneRecord lane = b().lanes().get("support-42");
        assertThat(lane.running()).hasSize(2);
        assertThat(lane.queued()).hasSize(8);
        assertThat(ids.stream().filter(id -> a().queries().get(id).status() == RunStatus.QUEUED)).hasSize(8);

        // as slots free, queued runs start in the order they arrived
        List<String> order = new ArrayList<>(lane.queued());
        String first = lane.running().get(0);
        a().runs().resolveGate(first, "ok", true, "ada", null).get(10, TimeUnit.SECONDS);
        await().atMost(10, TimeUnit.SECONDS).until(() -> a().queries().get(order.get(0)).status() == RunStatus.AWAITING_APPROVAL);
        assertThat(a().queries().get(order.get(1)).status()).isEqualTo(RunStatus.QUEUED);
        assertThat(a().lanes().get("support-42").queued()).isEqualTo(order.subList(1, order.size()));

        // cleanup cancels what is left and removes the lane
        assertThat(a().lanes().cleanup("support-42", Lanes.Cleanup.CANCEL)).isNull();
        assertThat(a().lanes().get("support-42")).isNull();
        for (String id : order) {
            assertThat(a().queries().get(id).status()).isEqualTo(RunStatus.CANCELLED);
        }
        caravan.eventBus().drain(5_000);
        assertThat(caravan.events()).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(EventTypes.LANE_CLEANED);
            assertThat(e.lane()).isEqualTo("support-42");
        });
        assertThat(caravan.events()).anySatisfy(e -> assertThat(e.type()).isEqualTo(EventTypes.LANE_CREATED));
    }

    @Test
    void drainingLaneAdmitsNothingAndGoesWhenItsLastRunEnds() throws Exception {
        a().lanes().create("drain-me", "acme", 1);
        RunRecord paused = a().runs().start(inLane("gated", "drain-me")).get(10, TimeUnit.SECONDS);
        assertThat(a().lanes().cleanup("drain-me", Lanes.Cleanup.DRAIN).status()).isEqualTo(LaneRecord.Status.DRAINING);
        assertThatThrownBy(() -> a().runs().start(inLane("gated", "drain-me")))
                .isInstanceOf(RunConflictException.class).hasMessageContaining("lane is draining");
        a().runs().resolveGate(paused.runId(), "ok", true, "ada", null).get(10, TimeUnit.SECONDS);
        await().atMost(10, TimeUnit.SECONDS).until(() -> a().lanes().get("drain-me") == null);
    }

    @Test
    void laneMemoryIsSharedByItsRunsOnEveryMember() {
        a().lanes().create("chat-7", "acme", 1);
        a().lanes().remember("chat-7", "history", List.of("hi", "hello"));
        assertThat(b().lanes().memory("chat-7")).isEqualTo(Map.of("history", List.of("hi", "hello")));
        a().lanes().remember("chat-7", "history", null);
        assertThat(b().lanes().memory("chat-7")).isEmpty();
    }

    @Test
    void aLaneThatKeepsFailingIsQuarantinedWhileAnotherLaneGoesOn() throws Exception {
        a().lanes().create("flaky", "acme", 1);
        a().lanes().create("healthy", "acme", 1);
        for (int i = 0; i < Lanes.QUARANTINE_AFTER; i++) {
            assertThat(a().runs().start(inLane("broken", "flaky")).get(10, TimeUnit.SECONDS).status())
                    .isEqualTo(RunStatus.FAILED);
        }
        assertThat(a().lanes().get("flaky").status()).isEqualTo(LaneRecord.Status.QUARANTINED);
        assertThatThrownBy(() -> a().runs().start(inLane("broken", "flaky")))
                .isInstanceOf(RunConflictException.class).hasMessageContaining("lane is quarantined");
        RunRecord other = b().runs().start(inLane("gated", "healthy")).get(10, TimeUnit.SECONDS);
        assertThat(other.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThatThrownBy(() -> a().runs().start(inLane("gated", "nowhere")))
                .isInstanceOf(UnknownLaneException.class).hasMessage("No lane nowhere: create it first");
    }

    @Test
    void laneEventsAreNumberedOnePerLaneByTheUpdatesThatMadeThemWhicheverMemberApplied() throws Exception {
        a().lanes().create("numbered", "acme", 1);
        b().lanes().create("numbered", "acme", 1); // exists: no second creation, no event
        a().lanes().create("other", "acme", 1);
        for (int i = 0; i < Lanes.QUARANTINE_AFTER; i++) {
            Engine via = i % 2 == 0 ? a() : b();
            assertThat(via.runs().start(inLane("broken", "numbered")).get(10, TimeUnit.SECONDS).status())
                    .isEqualTo(RunStatus.FAILED);
        }
        assertThat(a().lanes().get("numbered").status()).isEqualTo(LaneRecord.Status.QUARANTINED);
        b().lanes().cleanup("numbered", Lanes.Cleanup.CANCEL);
        a().lanes().cleanup("other", Lanes.Cleanup.DRAIN);
        caravan.eventBus().drain(5_000);

        List<RunEvent> numbered = laneEvents("numbered");
        assertThat(numbered).extracting(RunEvent::type).containsExactly(EventTypes.LANE_CREATED,
                EventTypes.LANE_QUARANTINED, EventTypes.LANE_CLEANED);
        assertThat(numbered).extracting(RunEvent::sequence).containsExactly(1L, 2L, 3L);
        assertThat(numbered).allSatisfy(e -> {
            assertThat(e.lane()).isEqualTo("numbered");
            assertThat(e.tenant()).isEqualTo("acme");
        });
        assertThat(numbered.get(1).data()).isEqualTo(Map.of("consecutiveFailures", Lanes.QUARANTINE_AFTER));
        assertThat(numbered).extracting(RunEvent::runId).containsOnly(numbered.get(0).runId());
        assertThat(numbered.get(0).runId()).startsWith("lane:numbered@");
        // another lane counts its own
        assertThat(laneEvents("other")).extracting(RunEvent::sequence)
                .containsExactly(1L, 2L);
    }

    @Test
    void aLaneCreatedAgainAfterItsCleanupNumbersItsEventsUnderIdsOfItsOwn() throws Exception {
        a().lanes().create("again", "acme", 1);
        a().lanes().cleanup("again", Lanes.Cleanup.DRAIN);
        // the creation time tells the two lanes apart: let the clock move on
        Thread.sleep(2);
        b().lanes().create("again", "acme", 1);
        b().lanes().cleanup("again", Lanes.Cleanup.DRAIN);
        caravan.eventBus().drain(5_000);

        List<RunEvent> again = laneEvents("again");
        assertThat(again).extracting(RunEvent::type).containsExactly(EventTypes.LANE_CREATED, EventTypes.LANE_CLEANED,
                EventTypes.LANE_CREATED, EventTypes.LANE_CLEANED);
        assertThat(again).extracting(RunEvent::sequence).containsExactly(1L, 2L, 1L, 2L);
        assertThat(again).extracting(RunEvent::id).as("a consumer that drops repeated ids drops none of these")
                .doesNotHaveDuplicates();
    }

    @Test
    void runsOfALaneShareMemoryThatRememberNodesWriteAndPromptsRead() throws Exception {
        a().lanes().create("session-7", "acme", 1);
        RunRecord first = a().runs().start(new RunService.StartRequest("chat", Map.of("say", "hi"), "acme", "session-7",
                null, null, null)).get(10, TimeUnit.SECONDS);
        RunRecord second = b().runs().start(new RunService.StartRequest("chat", Map.of("say", "bye"), "acme",
                "session-7", null, null, null)).get(10, TimeUnit.SECONDS);

        assertThat(first.status()).as(String.valueOf(first.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(first.output()).isEqualTo(List.of("hi"));
        assertThat(second.output()).isEqualTo(List.of("hi", "bye"));
        assertThat(second.node("keep").kind()).isEqualTo("remember");
        assertThat(a().lanes().memory("session-7")).containsEntry("history", List.of("hi", "bye"));
        // what the second run's prompt was rendered from
        assertThat(second.node("before").output()).isEqualTo(Map.of("seen", "Earlier: [\"hi\"]"));

        RunRecord outside = a().runs().start(RunService.StartRequest.of("chat", Map.of("say", "x")))
                .get(10, TimeUnit.SECONDS);
        assertThat(outside.status()).isEqualTo(RunStatus.FAILED);
        assertThat(outside.error()).contains("node 'keep' remembers values in the run's lane, and run "
                + outside.runId() + " has none: start the run in a lane (caravan run --lane NAME)");
    }

    /** The lane's own events (the runs in it carry its id too). */
    private List<RunEvent> laneEvents(String laneId) {
        return caravan.events().stream()
                .filter(e -> laneId.equals(e.lane()) && e.type().startsWith("caravan.lane.")).toList();
    }
}
