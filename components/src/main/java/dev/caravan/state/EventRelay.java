package dev.caravan.state;

import dev.caravan.event.EventSink;

/**
 * Publishes run events beyond the process (to Kafka) from the runs' outboxes. A member with a relay keeps each run's
 * events in its record's outbox, written by the same update as the state change that made them, until the relay
 * confirms them: {@link RunStore#confirmEvents} then moves them into the run's event log. As an {@link EventSink} it
 * is handed each update's events once they are stored; events it misses (a restart, a takeover, a full queue) it
 * finds again in the outboxes ({@link RunStore#withUnconfirmedEvents}).
 */
public interface EventRelay extends EventSink {

    /**
     * The sequence number up to which the run's events are confirmed and logged, as far as this member knows (0 when
     * it knows nothing): an update of the run drops them from its outbox. Called on partition threads: never blocks.
     */
    long confirmedUpTo(String runId);

    /** Starts relaying, once the member's store is ready; the relay reads and confirms through it. */
    void start(RunStore store);

    /** Stops relaying: what is not confirmed stays in the outboxes for the next start or another member. */
    void stop();
}
