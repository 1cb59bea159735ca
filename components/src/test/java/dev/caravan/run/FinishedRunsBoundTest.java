package dev.caravan.run;

import com.hazelcast.core.HazelcastInstance;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Without a database, a member keeps at most {@code caravan.runs.max-finished} finished runs: beyond it the runs that
 * finished first go, before their retention, and a warning says so.
 */
class FinishedRunsBoundTest {

    /** Two runs in each of the embedded member's 31 partitions: the bound applies partition by partition. */
    private static final int MAX = 2 * 31;

    @RegisterExtension
    @Order(1)
    static final LogCapture logs = LogCapture.of("finished-runs-capture");

    @RegisterExtension
    @Order(2)
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.runs.max-finished", String.valueOf(MAX))
            .workflow("done.caravan.yaml", header("done") + """
                        - id: a
                          set: { x: 1 }
                    """)
            .build();

    @Test
    void theRunsThatFinishedFirstAreEvictedWithAWarning() throws Exception {
        HazelcastInstance hz = caravan.engine().hazelcast();
        assertThat(hz.getPartitionService().getPartitions()).hasSize(MAX / 2);
        // three runs of one partition, one after the other: one more than the partition keeps
        List<String> ids = new ArrayList<>();
        int partition = hz.getPartitionService().getPartition("first-" + UUID.randomUUID()).getPartitionId();
        while (ids.size() < 3) {
            String id = "run-" + UUID.randomUUID();
            if (hz.getPartitionService().getPartition(id).getPartitionId() == partition) {
                ids.add(id);
            }
        }
        for (String id : ids) {
            RunRecord r = caravan.runs().start(new RunService.StartRequest("done", Map.of(), null, null, id, null,
                    null)).get(20, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
            // the next one starts in a later millisecond: which finished first is then not a tie
            await().atMost(1, TimeUnit.SECONDS).until(() -> System.currentTimeMillis() > r.updatedAt());
        }
        // once it no longer lingers in the run map, the first is gone; the others are kept
        await().atMost(30, TimeUnit.SECONDS).until(() -> caravan.queries().get(ids.get(0)) == null);
        assertThat(caravan.queries().get(ids.get(1)).status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(caravan.queries().get(ids.get(2)).status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains(
                "Evicted 1 finished runs before their retention (one was " + ids.get(0) + "): this member keeps at"
                + " most 62 in memory (caravan.runs.max-finished); raise it, shorten caravan.runs.retention or keep"
                + " runs in a database (caravan.store.jdbc-url)"));
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> HazelcastRunStore.maxFinishedRuns(Engine.embeddedConfig("bound"), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("A member keeps at least 1 finished run, not 0");
    }
}
