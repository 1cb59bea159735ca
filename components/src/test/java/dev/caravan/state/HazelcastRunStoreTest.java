package dev.caravan.state;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.caravan.event.RunEvent;
import dev.caravan.test.CaravanEngineExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two members of one cluster with a backup of every record: mutations applied on the owning member and sent to
 * the other one (serialized as JSON) give the same records and one contiguous event sequence per run.
 */
class HazelcastRunStoreTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().members(2).withoutEngines().build();

    /** The first member. */
    private static HazelcastInstance a() {
        return caravan.hazelcast(0);
    }

    /** The second member. */
    private static HazelcastInstance b() {
        return caravan.hazelcast(1);
    }

    @Test
    void mutationsGiveTheSameRecordsWhicheverMemberOwnsTheRun() throws Exception {
        assertThat(a().getCluster().getMembers()).hasSize(2);
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus());
        List<String> ids = new ArrayList<>();
        int remote = 0;
        for (int i = 0; i < 20; i++) {
            String id = "run-" + i;
            ids.add(id);
            if (!a().getPartitionService().getPartition(id).getOwner().localMember()) {
                remote++;
            }
            assertThat(store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of("n", i), null, null))
                    .accepted()).isTrue();
            store.apply(id, new Mutation.StartNode("a", "set", 1, false));
            store.apply(id, new Mutation.Emit("caravan.node.output.delta", "a", Map.of("text", "x")));
            Mutation.Result done = store.apply(id, new Mutation.CompleteNode("a", "set", Map.of("v", List.of(i)), 5, 7, null));
            assertThat(done.accepted()).isTrue();
            assertThat(done.status()).isEqualTo(RunStatus.RUNNING);
            Mutation.Result twice = store.apply(id, new Mutation.CompleteNode("a", "set", "other", 0, 0, null));
            assertThat(twice.accepted()).isFalse();
            assertThat(twice.reason()).isEqualTo("node a is completed");
        }
        assertThat(remote).as("some runs live on the other member").isPositive();

        HazelcastRunStore fromB = new HazelcastRunStore(b(), caravan.eventBus());
        for (String id : ids) {
            RunRecord r = fromB.get(id);
            assertThat(r.node("a").status()).isEqualTo(NodeStatus.COMPLETED);
            assertThat(r.node("a").output()).isEqualTo(Map.of("v", List.of(Integer.parseInt(id.substring(4)))));
            assertThat(r.costMicros()).isEqualTo(5);
            assertThat(r.sequence()).isEqualTo(5);
        }
        caravan.eventBus().drain(5_000);
        for (String id : ids) {
            assertThat(caravan.events().stream().filter(e -> e.runId().equals(id)).map(RunEvent::sequence))
                    .containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void recordsHandedOutCannotBeChanged() {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus());
        String id = "frozen-" + UUID.randomUUID();
        HashMap<String, Object> input = new HashMap<>(Map.of("k", "v"));
        store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, input, null, null));
        input.put("k", "changed afterwards");
        RunRecord r = store.get(id);
        assertThat(r.input()).isEqualTo(Map.of("k", "v"));
        @SuppressWarnings("unchecked")
        Map<String, Object> handedOut = (Map<String, Object>) r.input();
        assertThatThrownBy(() -> handedOut.put("k", "x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theMemberThatCreatesARunOwnsItAndNoOtherMemberRecordsItsProgress() {
        HazelcastRunStore onA = new HazelcastRunStore(a(), caravan.eventBus());
        HazelcastRunStore onB = new HazelcastRunStore(b(), caravan.eventBus());
        String id = "owned-" + UUID.randomUUID();
        onA.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
        assertThat(onB.get(id).owner()).isEqualTo(onA.memberId());

        Mutation.Result progress = onB.apply(id, new Mutation.StartNode("a", "call", 1, false));
        assertThat(progress.accepted()).isFalse();
        assertThat(Mutation.refusedAsNotOwner(progress)).isTrue();
        assertThat(progress.record().owner()).isEqualTo(onA.memberId());

        Mutation.Result claim = onB.apply(id, new Mutation.ClaimRun("test", 3));
        assertThat(Mutation.refusedAsNotOwner(claim)).as("a live owner keeps its run").isTrue();
        // steering comes from anywhere, and a resume does not move a run off its live owner
        assertThat(onB.apply(id, new Mutation.ResumeRun("again")).accepted()).isTrue();
        assertThat(onB.get(id).owner()).isEqualTo(onA.memberId());
        assertThat(onA.apply(id, new Mutation.StartNode("a", "call", 1, false)).accepted()).isTrue();
    }

    @Test
    void aRunWhoseOwnerIsGoneIsClaimedOnceAndItsOldOwnerIsFencedOut() {
        HazelcastRunStore onA = new HazelcastRunStore(a(), caravan.eventBus());
        HazelcastRunStore onB = new HazelcastRunStore(b(), caravan.eventBus());
        String id = "orphan-" + UUID.randomUUID();
        onA.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
        String gone = UUID.randomUUID().toString(); // a member that left the cluster
        a().<String, RunRecord>getMap(HazelcastRunStore.MAP_NAME).set(id, onA.get(id).withOwner(gone, 0));

        Mutation.Result claim = onB.apply(id, new Mutation.ClaimRun("taken over from member " + gone, 3));
        assertThat(claim.accepted()).isTrue();
        assertThat(claim.record().owner()).isEqualTo(onB.memberId());
        assertThat(claim.record().takeovers()).isEqualTo(1);
        // the second claimant finds a live owner
        assertThat(Mutation.refusedAsNotOwner(onA.apply(id, new Mutation.ClaimRun("late", 3)))).isTrue();
        assertThat(onA.apply(id, new Mutation.CompleteNode("a", "call", "x", 0, 0, null)).accepted()).isFalse();
        // claiming one's own run changes nothing and writes nothing
        long sequence = onB.get(id).sequence();
        assertThat(onB.apply(id, new Mutation.ClaimRun("mine", 3)).accepted()).isTrue();
        assertThat(onB.get(id).sequence()).isEqualTo(sequence);
        assertThat(onB.get(id).takeovers()).isEqualTo(1);
        // a run that is no longer running has no owner
        onB.apply(id, new Mutation.PauseRun(RunStatus.AWAITING_APPROVAL, List.of("g")));
        assertThat(onA.get(id).owner()).isNull();
        assertThat(onA.apply(id, new Mutation.ResumeRun("approved")).record().owner()).isEqualTo(onA.memberId());
    }

    @Test
    void aRunThatKeepsLosingItsOwnerFailsInsteadOfBeingTakenOverAgain() {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus());
        String id = "poison-" + UUID.randomUUID();
        store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
        a().<String, RunRecord>getMap(HazelcastRunStore.MAP_NAME).set(id,
                store.get(id).withOwner(UUID.randomUUID().toString(), 3));

        Mutation.Result claim = store.apply(id, new Mutation.ClaimRun("again", 3));

        assertThat(claim.accepted()).isTrue();
        assertThat(claim.record().status()).isEqualTo(RunStatus.FAILED);
        assertThat(claim.record().error()).contains("lost its owner 4 times");
        assertThat(claim.record().owner()).isNull();
    }

    @Test
    void severalMutationsApplyInOrderAsOneUpdateOnEitherMember() throws Exception {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus());
        int remote = 0;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String id = "batch-" + i + "-" + UUID.randomUUID();
            ids.add(id);
            if (!a().getPartitionService().getPartition(id).getOwner().localMember()) {
                remote++;
            }
            Mutation.Result r = store.apply(id, List.of(
                    new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null),
                    new Mutation.StartNode("a", "call", 1, false),
                    new Mutation.CompleteNode("a", "call", "out", 0, 0, null),
                    new Mutation.SkipNode("b", "set", "when is false")));
            assertThat(r.accepted()).isTrue();
            assertThat(r.record().node("a").output()).isEqualTo("out");
            assertThat(r.record().node("b").status()).isEqualTo(NodeStatus.SKIPPED);
            assertThat(r.record().sequence()).isEqualTo(4);
        }
        assertThat(remote).as("some runs live on the other member").isPositive();
        caravan.eventBus().drain(5_000);
        for (String id : ids) {
            assertThat(caravan.events().stream().filter(e -> e.runId().equals(id))
                    .map(e -> e.sequence() + " " + e.type()))
                    .containsExactly("1 caravan.run.started", "2 caravan.node.started", "3 caravan.node.completed",
                            "4 caravan.node.skipped");
        }
    }

    @Test
    void anUpdateOfSeveralStopsAtTheFirstRefusedAndKeepsWhatCameBefore() {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus());
        String id = "refused-" + UUID.randomUUID();
        store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
        Mutation.Result r = store.apply(id, List.of(
                new Mutation.CompleteNode("a", "set", 1, 0, 0, null, true, null),
                new Mutation.CompleteNode("a", "set", 2, 0, 0, null, true, null),
                new Mutation.CompleteNode("b", "set", 3, 0, 0, null, true, null)));
        assertThat(r.accepted()).isFalse();
        assertThat(r.reason()).isEqualTo("node a is completed");
        assertThat(r.record().node("a").output()).isEqualTo(1);
        assertThat(store.get(id).node("a").output()).isEqualTo(1);
        assertThat(store.get(id).node("b")).isNull();
    }

    @Test
    void aFinishedRunKeepsItsRetentionInTheRunMapUntilTheSweepPacksIt() {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus(), Duration.ofHours(1));
        String id = "expiring-" + UUID.randomUUID();
        store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
        IMap<String, RunRecord> runs = a().getMap(HazelcastRunStore.MAP_NAME);
        IMap<String, Object> finished = a().getMap(HazelcastRunStore.FINISHED_MAP_NAME);
        assertThat(runs.getEntryView(id).getTtl()).as("a running run does not expire").isEqualTo(Long.MAX_VALUE);
        store.apply(id, new Mutation.CompleteRun("done"));
        // the finishing update packs nothing (it is on the path of whoever waits for the outcome): the run expires
        // at the end of its retention, wherever it is
        assertThat(finished.containsKey(id)).isFalse();
        assertThat(runs.getEntryView(id).getTtl()).isEqualTo(Duration.ofHours(1).toMillis());
        runs.executeOnKey(id, new FinishedRuns.LeaveRunMap(Long.MAX_VALUE, Duration.ofHours(1).toMillis()));
        assertThat(runs.containsKey(id)).isFalse();
        assertThat(finished.getEntryView(id).getTtl()).isBetween(Duration.ofHours(1).toMillis() - 10_000,
                Duration.ofHours(1).toMillis());
        assertThat(store.get(id).status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void aPackedRunKeepsTheIdsItWasStartedWith() {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus(), Duration.ofHours(1));
        String id = "packed-" + UUID.randomUUID();
        store.apply(id, List.of(new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null, "order-42",
                "4bf92f3577b34da6a3ce929d0e0e4736"), new Mutation.CompleteRun("done")));
        IMap<String, RunRecord> runs = a().getMap(HazelcastRunStore.MAP_NAME);
        runs.executeOnKey(id, new FinishedRuns.LeaveRunMap(Long.MAX_VALUE, Duration.ofHours(1).toMillis()));

        assertThat(runs.containsKey(id)).isFalse();
        assertThat(store.get(id).correlationId()).isEqualTo("order-42");
        assertThat(store.get(id).traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void aFinishedRunStillExpiresAfterTheMemberHoldingItLeaves() {
        HazelcastInstance c = caravan.startMember();
        try {
            HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus(), Duration.ofHours(1));
            a().getMap(HazelcastRunStore.MAP_NAME).size(); // partitions are assigned on first use
            Awaitility.await().atMost(30, TimeUnit.SECONDS)
                    .until(() -> a().getPartitionService().isClusterSafe()
                                 && c.getPartitionService().isLocalMemberSafe());
            String id = null;
            for (int i = 0; id == null; i++) {
                String candidate = "leaving-" + i + "-" + UUID.randomUUID();
                if (c.getPartitionService().getPartition(candidate).getOwner().localMember()) {
                    id = candidate;
                }
            }
            store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
            store.apply(id, new Mutation.CompleteRun("done"));
            c.getLifecycleService().terminate();
            // the backup, now the primary, carries the expiry the finishing update gave it, and the sweep packs it
            IMap<String, RunRecord> runs = a().getMap(HazelcastRunStore.MAP_NAME);
            assertThat(runs.getEntryView(id).getTtl()).isEqualTo(Duration.ofHours(1).toMillis());
            runs.executeOnKey(id, new FinishedRuns.LeaveRunMap(Long.MAX_VALUE, Duration.ofHours(1).toMillis()));
            IMap<String, Object> finished = a().getMap(HazelcastRunStore.FINISHED_MAP_NAME);
            assertThat(finished.getEntryView(id).getTtl()).isBetween(Duration.ofHours(1).toMillis() - 10_000,
                    Duration.ofHours(1).toMillis());
            assertThat(runs.containsKey(id)).isFalse();
            assertThat(store.get(id).status()).isEqualTo(RunStatus.COMPLETED);
        } finally {
            c.getLifecycleService().terminate();
        }
    }
}
