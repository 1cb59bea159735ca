package dev.caravan.run;

import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The branches of a parallel level join on the last branch's exchange with the newest record any branch saw. */
class ParallelBranchesTest {

    private static CamelContext camel;

    @BeforeAll
    static void start() {
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterAll
    static void stop() {
        camel.stop();
    }

    private static RunRecord record(String runId, long sequence) {
        return new Mutation.CreateRun(runId, "wf", "hash", "t", null, Map.of(), null, null).apply(null, 1).record()
                .withSequence(sequence);
    }

    private static Exchange branch(RunRecord seen, Object body) {
        Exchange e = new DefaultExchange(camel);
        e.setProperty(RunRecords.RECORD, seen);
        e.getMessage().setBody(body);
        return e;
    }

    @Test
    void theLastBranchCarriesTheNewestRecordWhenAnEarlierOneFinishedLater() {
        ParallelBranches branches = new ParallelBranches();
        Exchange first = branches.aggregate(null, branch(record("r1", 7), "a"));
        Exchange joined = branches.aggregate(first, branch(record("r1", 5), "b"));
        assertThat(joined.getMessage().getBody()).isEqualTo("b");
        assertThat(joined.getProperty(RunRecords.RECORD, RunRecord.class).sequence()).isEqualTo(7);
    }

    @Test
    void aNewerOrEqualRecordOfTheLastBranchStaysAndOtherRunsAreNotMixedIn() {
        ParallelBranches branches = new ParallelBranches();
        Exchange newer = branches.aggregate(branches.aggregate(null, branch(record("r1", 5), "a")),
                branch(record("r1", 9), "b"));
        assertThat(newer.getProperty(RunRecords.RECORD, RunRecord.class).sequence()).isEqualTo(9);
        Exchange other = branches.aggregate(branches.aggregate(null, branch(record("r1", 9), "a")),
                branch(record("r2", 2), "b"));
        assertThat(other.getProperty(RunRecords.RECORD, RunRecord.class).runId()).isEqualTo("r2");
    }

    @Test
    void aFailedBranchStillFailsTheJoin() {
        ParallelBranches branches = new ParallelBranches();
        Exchange failed = branch(record("r1", 7), "a");
        failed.setException(new IllegalStateException("branch a failed"));
        Exchange joined = branches.aggregate(branches.aggregate(null, failed), branch(record("r1", 5), "b"));
        assertThat(joined.getException()).hasMessage("branch a failed");
        assertThat(joined.getProperty(RunRecords.RECORD, RunRecord.class).sequence()).isEqualTo(7);
    }
}
