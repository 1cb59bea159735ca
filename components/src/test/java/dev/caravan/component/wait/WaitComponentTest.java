package dev.caravan.component.wait;

import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code caravan-wait}: the run pauses for a duration or until a time, and a time already past waits not at all. */
class WaitComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("until.caravan.yaml", header("until") + """
                        - id: pause
                          wait: { until: "${{ input.at }}" }
                    """)
            .workflow("pause.caravan.yaml", header("pause") + """
                        - id: pause
                          wait: { duration: "${{ input.duration }}" }
                        - id: after
                          needs: [pause]
                          set: { woke: true }
                    """)
            .build();

    @Test
    void aTimeAlreadyPastCompletesAtOnce() throws Exception {
        RunRecord r = caravan.run("until", Map.of("at", "2000-01-01T00:00:00Z"));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("pause").output()).isInstanceOfSatisfying(Map.class,
                output -> assertThat(output.keySet()).containsExactly("waitedUntil"));
    }

    @Test
    void aDurationPausesTheRunUntilItsTimerResumesIt() throws Exception {
        RunRecord paused = caravan.run("pause", Map.of("duration", "300ms"));

        assertThat(paused.status()).isEqualTo(RunStatus.WAITING);
        assertThat(paused.node("pause").status()).isEqualTo(NodeStatus.WAITING);
        assertThat(paused.node("pause").detail()).containsKey("until");
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
        assertThat(caravan.queries().get(paused.runId()).node("after").output()).isEqualTo(Map.of("woke", true));
    }

    @Test
    void aDurationThatIsNoDurationFailsTheNodeSayingWhatIsExpected() throws Exception {
        RunRecord r = caravan.run("pause", Map.of("duration", "soon"));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("pause").error())
                .isEqualTo("expected a duration such as 500ms, 10s, 1m, 24h or 1h30m, found 'soon'");
    }

    @Test
    void aTimeThatIsNoTimestampFailsTheNode() throws Exception {
        RunRecord r = caravan.run("until", Map.of("at", "yesterday"));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("pause").errorClass()).isEqualTo(DateTimeParseException.class.getName());
        assertThat(r.node("pause").error()).isEqualTo("Text 'yesterday' could not be parsed at index 0");
    }
}
