package dev.caravan.event;

import dev.caravan.event.RunEvent;

import java.util.List;

/**
 * Receives run events in per-run sequence order. Called on the thread that applied the state change (a Hazelcast
 * partition thread), so implementations must only enqueue and never block.
 */
public interface EventSink {

    void publish(List<RunEvent> events);

    /** A sink handing each update's events to this one, then to {@code next}. */
    default EventSink andThen(EventSink next) {
        EventSink first = this;
        return events -> {
            first.publish(events);
            next.publish(events);
        };
    }
}
