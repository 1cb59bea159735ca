package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.event.EventBus;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.run.Engine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member with an event relay keeps each run's unpublished events in its record's outbox, written by the update that
 * made them, until the relay confirms them into the run's event log.
 */
class OutboxTest {

    /** A relay that keeps what it is handed and confirms only when told. */
    static final class KeepingRelay implements EventRelay {
        final List<RunEvent> received = new CopyOnWriteArrayList<>();
        final Map<String, Long> confirmed = new ConcurrentHashMap<>();

        @Override
        public void publish(List<RunEvent> events) {
            received.addAll(events);
        }

        @Override
        public long confirmedUpTo(String runId) {
            return confirmed.getOrDefault(runId, 0L);
        }

        @Override
        public void start(RunStore store) {
        }

        @Override
        public void stop() {
        }
    }

    private final EventBus bus = new EventBus();
    private final List<HazelcastInstance> members = new CopyOnWriteArrayList<>();
    private HikariDataSource database;

    @AfterEach
    void stop() {
        members.forEach(HazelcastInstance::shutdown);
        bus.close();
        if (database != null) {
            database.close();
        }
    }

    private HazelcastRunStore member(KeepingRelay relay, HikariDataSource persistTo) {
        Config config = Engine.embeddedConfig("outbox-" + UUID.randomUUID());
        HazelcastRunStore.configure(config, bus);
        HazelcastRunStore.relayEvents(config, relay, null);
        if (persistTo != null) {
            HazelcastRunStore.persist(config, persistTo, null);
        }
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        members.add(hz);
        return new HazelcastRunStore(hz, bus);
    }

    private static void runTwoNodes(RunStore store, String id) {
        store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of(), null, null));
        store.apply(id, new Mutation.StartNode("a", "set", 1, false));
        store.apply(id, new Mutation.CompleteNode("a", "set", "one", 0, 0, null));
    }

    @Test
    void eventsWaitInTheOutboxUntilConfirmedAndAreReadFromTheLogAfter() {
        KeepingRelay relay = new KeepingRelay();
        HazelcastRunStore store = member(relay, null);
        runTwoNodes(store, "r1");

        RunRecord run = store.get("r1");
        assertThat(run.outbox()).extracting(RunEvent::sequence).containsExactly(1L, 2L, 3L);
        assertThat(relay.received).extracting(RunEvent::id).containsExactly("r1-1", "r1-2", "r1-3");
        assertThat(store.withUnconfirmedEvents(Long.MAX_VALUE)).extracting(RunRecord::runId).containsExactly("r1");

        // confirmed but not dropped: in the log and still in the outbox, read once
        store.confirmEvents("r1", run.outbox().subList(0, 2), false);
        assertThat(store.get("r1").outbox()).hasSize(3);
        assertThat(store.events("r1", 0, 100)).extracting(RunEvent::sequence).containsExactly(1L, 2L, 3L);
        assertThat(store.events("r1", 1, 1)).extracting(RunEvent::sequence).containsExactly(2L);

        // the run's next update drops what the relay says it confirmed
        relay.confirmed.put("r1", 2L);
        store.apply("r1", new Mutation.StartNode("b", "set", 1, false));
        assertThat(store.get("r1").outbox()).extracting(RunEvent::sequence).containsExactly(3L, 4L);

        // a confirmation that drops empties the outbox; a repeated one appends nothing
        List<RunEvent> rest = store.get("r1").outbox();
        store.confirmEvents("r1", rest, true);
        store.confirmEvents("r1", rest, true);
        assertThat(store.get("r1").outbox()).isEmpty();
        assertThat(store.withUnconfirmedEvents(Long.MAX_VALUE)).isEmpty();
        assertThat(store.events("r1", 0, 100)).extracting(RunEvent::id)
                .containsExactly("r1-1", "r1-2", "r1-3", "r1-4");
    }

    @Test
    void aMemberWithoutARelayKeepsNoOutbox() {
        Config config = Engine.embeddedConfig("no-outbox-" + UUID.randomUUID());
        HazelcastRunStore.configure(config, bus);
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        members.add(hz);
        HazelcastRunStore store = new HazelcastRunStore(hz, bus);
        runTwoNodes(store, "r2");
        assertThat(store.get("r2").outbox()).isEmpty();
        assertThat(store.get("r2").sequence()).isEqualTo(3);
    }

    @Test
    void theOutboxIsCommittedWithTheRecordAndOutlivesTheMember() {
        database = JdbcMapStore.pool("jdbc:h2:mem:outbox-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", 2);
        HazelcastRunStore first = member(new KeepingRelay(), database);
        runTwoNodes(first, "r3");
        members.get(0).getLifecycleService().terminate(); // nothing published, nothing shut down in order

        HazelcastRunStore second = member(new KeepingRelay(), database);
        RunRecord run = second.get("r3");
        assertThat(run.outbox()).extracting(RunEvent::id).containsExactly("r3-1", "r3-2", "r3-3");
        assertThat(second.withUnconfirmedEvents(Long.MAX_VALUE)).extracting(RunRecord::runId).containsExactly("r3");

        // confirmed on the new member: the log is in the database too, and read back by a member after it
        second.confirmEvents("r3", run.outbox(), true);
        members.get(1).getLifecycleService().terminate();
        HazelcastRunStore third = member(new KeepingRelay(), database);
        assertThat(third.get("r3").outbox()).isEmpty();
        assertThat(third.events("r3", 0, 100)).extracting(RunEvent::id).containsExactly("r3-1", "r3-2", "r3-3");
    }

    @Test
    void aRunsTraceIsCommittedWithItsRecordAndTheNextMembersEventsJoinIt() {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        database = JdbcMapStore.pool("jdbc:h2:mem:outbox-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", 2);
        HazelcastRunStore first = member(new KeepingRelay(), database);
        first.apply("r4", new Mutation.CreateRun("r4", "wf", "h", "t", null, Map.of(), null, null, null, trace));
        members.get(0).getLifecycleService().terminate();

        HazelcastRunStore second = member(new KeepingRelay(), database);
        assertThat(second.get("r4").traceId()).isEqualTo(trace);
        // taken over: the events the new owner makes are in the run's trace too
        assertThat(second.apply("r4", List.of(new Mutation.ClaimRun("owner left", 3),
                new Mutation.StartNode("a", "set", 1, false))).accepted()).isTrue();
        List<RunEvent> events = second.events("r4", 0, 100);
        assertThat(events).extracting(RunEvent::type).contains(EventTypes.NODE_STARTED);
        assertThat(events).extracting(RunEvent::traceId).containsOnly(trace);
        assertThat(events).extracting(RunEvent::traceparent)
                .allSatisfy(t -> assertThat(t).startsWith("00-" + trace + "-"));
    }
}
