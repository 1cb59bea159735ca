package dev.caravan.run;

import dev.caravan.state.RunRecord;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Joins the branches of a parallel level of a workflow route: the last branch's exchange with the first failure of
 * any branch, as Camel's default for a multicast ({@code UseLatestAggregationStrategy}), but carrying the newest run
 * record any branch saw. A branch that finished first holds a record without
 * its siblings' outcomes; with it, the next node would find its needs unsettled and read the run again.
 */
public final class ParallelBranches implements AggregationStrategy {

    /** How a compiled route names this strategy in a multicast's {@code aggregationStrategy}. */
    public static final String REFERENCE = "#class:" + ParallelBranches.class.getName();

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        if (oldExchange == null || newExchange == null) {
            return newExchange == null ? oldExchange : newExchange;
        }
        Exchange joined = newExchange;
        if (joined.getException() == null && oldExchange.getException() != null) {
            joined.setException(oldExchange.getException());
        }
        RunRecord earlier = oldExchange.getProperty(RunRecords.RECORD, RunRecord.class);
        RunRecord latest = joined.getProperty(RunRecords.RECORD, RunRecord.class);
        // only a strictly newer one: every stored change of a run moves its sequence on
        if (earlier != null && latest != null && earlier.runId().equals(latest.runId())
            && earlier.sequence() > latest.sequence()) {
            joined.setProperty(RunRecords.RECORD, earlier);
        }
        return joined;
    }
}
