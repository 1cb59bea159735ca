package dev.caravan.app.triggers;

import java.time.Instant;
import java.util.Map;

/**
 * One trigger as the health check, {@code GET /api/v1/triggers} and {@code caravan triggers} show it: its route's
 * state, what it received since the member started, how far behind its source it is, and how often it was restarted.
 *
 * @param workflow    the workflow that declares it
 * @param id          its id in {@code spec.triggers}
 * @param kind        {@code webhook}, {@code kafka}, {@code cdc} or {@code cron}
 * @param route       its route's id, {@code caravan-trigger-<workflow>-<id>}
 * @param state       the route's state ({@code Started}, {@code Stopped}, ...), or {@code Missing} when it has none
 * @param received    events received
 * @param started     runs started
 * @param skipped     events its filter skipped
 * @param failed      events that started no run (a Kafka record then went to the dead-letter topic)
 * @param lastEventAt when the last event came, or null
 * @param lastError   the last failure, or null
 * @param lag         a kafka trigger's consumer lag, else null
 * @param slotLag     a cdc trigger's replication slot lag, else null
 * @param restarts    how often the supervisor restarted its route since the member started
 */
public record TriggerStatus(String workflow, String id, String kind, String route, String state, long received,
        long started, long skipped, long failed, Instant lastEventAt, String lastError, ConsumerLag lag,
        SlotLag slotLag, long restarts) {

    /** The state of a route that runs. */
    public static final String STARTED = "Started";

    /**
     * The records on the trigger's topic its consumer group has not committed yet: per partition, the log-end offset
     * less the group's committed offset (the whole partition when the group committed none).
     *
     * @param records    the sum over the partitions; null when it could not be read
     * @param partitions the lag of each partition by its number
     * @param error      why it could not be read, or null
     */
    public record ConsumerLag(Long records, Map<Integer, Long> partitions, String error) {
    }

    /**
     * How far a cdc trigger's replication slot is behind the database's write-ahead log:
     * {@code pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)}.
     *
     * @param slot   the slot's name
     * @param bytes  the write-ahead log the slot still holds, in bytes; null when it could not be read
     * @param active whether a consumer reads the slot now
     * @param error  why it could not be read, or null
     */
    public record SlotLag(String slot, Long bytes, boolean active, String error) {
    }

    /** Whether its route runs. */
    public boolean running() {
        return STARTED.equals(state);
    }
}
