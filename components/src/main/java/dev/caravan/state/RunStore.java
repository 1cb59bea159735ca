package dev.caravan.state;

import dev.caravan.event.RunEvent;

import java.util.List;

/**
 * Durable run records. Every change goes through {@link #apply}, atomic per run, which also assigns the events
 * the change produces their per-run sequence numbers and hands them to the {@link EventSink}.
 */
public interface RunStore {

    /** The run, or null. */
    RunRecord get(String runId);

    /** Applies a mutation atomically. */
    default Mutation.Result apply(String runId, Mutation mutation) {
        return apply(runId, List.of(mutation));
    }

    /**
     * Applies mutations in order as one atomic update (one round trip instead of one each): as if applied one
     * after the other, up to the first one refused, which is then what the result tells. Otherwise the result is
     * the last one's.
     */
    Mutation.Result apply(String runId, List<Mutation> mutations);

    /** The id of this cluster member: the owner this store's callers record on the runs they execute. */
    String memberId();

    /**
     * Runs with one of the statuses whose records this member holds: each member sweeps its own share of the
     * cluster's runs.
     */
    List<RunRecord> listLocal(List<RunStatus> statuses);

    /**
     * Removes the finished runs this member holds that were last updated before {@code updatedBefore} (epoch
     * millis; 0 for none), from the database too; returns how many. Called by the reaper's every sweep, which is
     * also when finished runs that lingered in memory long enough leave it for where they are kept.
     */
    int removeFinishedBefore(long updatedBefore);

    /**
     * A page of the runs the query selects, newest first: selected where the records are held, so only the page
     * travels to the caller.
     */
    RunPage page(RunQuery query);

    /**
     * Records that the relay published these events of a run (contiguous, in sequence order): they are appended to
     * the run's event log and, when {@code dropFromOutbox}, dropped from its outbox at once (otherwise the run's next
     * update drops them, as {@link EventRelay#confirmedUpTo} tells: cheaper while the run is busy). Returns once that
     * happened; a duplicate is ignored.
     */
    void confirmEvents(String runId, List<RunEvent> published, boolean dropFromOutbox);

    /** The runs this member holds whose outbox holds events older than {@code updatedBefore} (epoch millis). */
    List<RunRecord> withUnconfirmedEvents(long updatedBefore);

    /**
     * Up to {@code limit} events of a run with a sequence number above {@code afterSequence}, in order: from its
     * event log, then its outbox. Empty when the run made none or is unknown.
     */
    List<RunEvent> events(String runId, long afterSequence, int limit);
}
