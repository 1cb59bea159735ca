package dev.caravan.event;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

class EventBusTest {

    private final EventBus bus = new EventBus();

    @AfterEach
    void close() {
        bus.close();
    }

    private static RunEvent event(String runId, long sequence) {
        return new RunEvent(EventTypes.NODE_COMPLETED, runId, sequence, 0, "flow", null, null, "n", null, null);
    }

    @Test
    void aRunsSubscriberGetsThatRunsEventsInOrderAndNoOthers() throws Exception {
        List<RunEvent> ofA = new CopyOnWriteArrayList<>();
        List<RunEvent> all = new CopyOnWriteArrayList<>();
        bus.subscribe("a", ofA::add);
        bus.subscribe(all::add);

        bus.publish(List.of(event("a", 1), event("b", 1)));
        bus.publish(List.of(event("a", 2), event("a:child", 1)));
        assertThat(bus.drain(5_000)).isTrue();

        assertThat(ofA).extracting(RunEvent::id).containsExactly("a-1", "a-2");
        assertThat(all).hasSize(4);
    }

    @Test
    void twoSubscribersOfOneRunBothGetItsEventsAndAnUnsubscribedOneNoMore() throws Exception {
        List<RunEvent> first = new CopyOnWriteArrayList<>();
        List<RunEvent> second = new CopyOnWriteArrayList<>();
        AutoCloseable firstSubscription = bus.subscribe("a", first::add);
        bus.subscribe("a", second::add);

        bus.publish(List.of(event("a", 1)));
        assertThat(bus.drain(5_000)).isTrue();
        firstSubscription.close();
        bus.publish(List.of(event("a", 2)));
        assertThat(bus.drain(5_000)).isTrue();

        assertThat(first).extracting(RunEvent::sequence).containsExactly(1L);
        assertThat(second).extracting(RunEvent::sequence).containsExactly(1L, 2L);
    }

    @Test
    void aFailingSubscriberDoesNotStopDeliveryToTheOthers() throws Exception {
        List<RunEvent> got = new CopyOnWriteArrayList<>();
        bus.subscribe("a", e -> {
            throw new IllegalStateException("a broken client");
        });
        bus.subscribe("a", got::add);

        bus.publish(List.of(event("a", 1)));
        assertThat(bus.drain(5_000)).isTrue();

        assertThat(got).hasSize(1);
    }
}
