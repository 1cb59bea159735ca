package dev.caravan.component.node;

import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import org.apache.camel.Exchange;

/** The run record an exchange carries between steps ({@link NodeConstants#RECORD}). */
public final class RunRecords {

    private RunRecords() {
    }

    /** The record this exchange saw last for the run, or null. */
    public static RunRecord seen(Exchange exchange, String runId) {
        RunRecord r = exchange.getProperty(NodeConstants.RECORD, RunRecord.class);
        return r != null && r.runId().equals(runId) ? r : null;
    }

    /** Keeps the record an update handed back. */
    public static void remember(Exchange exchange, Mutation.Result result) {
        if (result.record() != null) {
            exchange.setProperty(NodeConstants.RECORD, result.record());
        }
    }
}
