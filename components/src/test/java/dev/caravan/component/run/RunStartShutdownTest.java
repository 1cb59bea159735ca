package dev.caravan.component.run;

import dev.caravan.run.IdempotentRunIds;
import dev.caravan.run.RunWaitTimeoutException;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A caller waiting for a run does not hold up the instance's shutdown. */
class RunStartShutdownTest {

    @RegisterExtension
    final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("approved.caravan.yaml", header("approved") + """
                        - id: ok
                          gate: { message: "Go?" }
                    """)
            .build();

    @Test
    void aCallerWaitingForAPausedRunStopsWaitingWhenTheInstanceStops() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=approved&waitForCompletion=true");
        String runId = IdempotentRunIds.runId("default", "shutdown");
        CompletableFuture<Exchange> reply = caravan.camelContext().createProducerTemplate().asyncSend(trigger, e -> {
            e.getMessage().setBody(Map.of());
            e.getMessage().setHeader(RunConstants.IDEMPOTENCY_KEY, "shutdown");
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId) != null
                && caravan.queries().get(runId).status() == RunStatus.AWAITING_APPROVAL);

        long stopping = System.nanoTime();
        caravan.camelContext().stop();

        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stopping))
                .as("no wait for the in-flight exchange's shutdown timeout").isLessThan(20);
        Exchange done = reply.get(5, TimeUnit.SECONDS);
        assertThat(done.getException()).isInstanceOf(RunWaitTimeoutException.class)
                .hasMessage("Run " + runId + " had not finished when this instance stopped; it goes on");
        assertThat(((RunWaitTimeoutException) done.getException()).getRunId()).isEqualTo(runId);
    }
}
