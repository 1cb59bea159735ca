package dev.caravan.component.emit;

import dev.caravan.event.RunEvent;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code caravan-emit}: an event of the type the node names, on the run's stream; its data is the output. */
class EmitComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("notify.caravan.yaml", header("notify") + """
                        - id: classified
                          emit: { type: ticket.classified, data: { severity: "${{ input.severity }}" } }
                        - id: bare
                          emit: { type: ticket.seen }
                    """)
            .build();

    private static List<RunEvent> eventsOf(String runId, String type) throws InterruptedException {
        caravan.eventBus().drain(5_000);
        return caravan.events().stream().filter(e -> e.runId().equals(runId) && e.type().equals(type)).toList();
    }

    @Test
    void theEventCarriesTheDataWhichIsAlsoTheOutput() throws Exception {
        RunRecord r = caravan.run("notify", Map.of("severity", "high"));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("classified").output()).isEqualTo(Map.of("severity", "high"));
        assertThat(eventsOf(r.runId(), "ticket.classified")).singleElement().satisfies(e -> {
            assertThat(e.node()).isEqualTo("classified");
            assertThat(e.data()).isEqualTo(Map.of("severity", "high"));
        });
    }

    @Test
    void withoutDataTheEventAndTheOutputAreEmpty() throws Exception {
        RunRecord r = caravan.run("notify", Map.of("severity", "low"));

        assertThat(r.node("bare").output()).isNull();
        assertThat(eventsOf(r.runId(), "ticket.seen")).singleElement()
                .satisfies(e -> assertThat(e.data()).isNull());
    }
}
