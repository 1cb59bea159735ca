package dev.caravan.component.run;

import dev.caravan.event.EventTypes;
import dev.caravan.run.IdempotentRunIds;
import dev.caravan.run.InvalidIdempotencyKeyException;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.RunFailedException;
import dev.caravan.run.RunWaitTimeoutException;
import dev.caravan.run.UnknownLaneException;
import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code caravan-run:start} as users start runs with: its headers, idempotency, and waiting for the outcome without
 * holding a thread.
 */
class RunStartTest {

    private static final String GREET = header("greet") + """
                - id: hello
                  set: { text: "Hello, ${{ input.name }}" }
              output: ${{ nodes.hello.output.text }}
            """;
    private static final String APPROVED = header("approved") + """
                - id: ok
                  gate: { message: "Go?" }
                - id: done
                  needs: [ok]
                  set: { text: "approved" }
              output: ${{ nodes.done.output.text }}
            """;
    private static final String REFUSE = header("refuse") + """
                - id: stop
                  fail: { message: "not today", code: NOT_TODAY }
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("greet.caravan.yaml", GREET)
            .workflow("approved.caravan.yaml", APPROVED)
            .workflow("refuse.caravan.yaml", REFUSE)
            .build();

    private static Exchange send(String uri, Object body, Map<String, Object> headers) {
        return caravan.camelContext().createProducerTemplate().request(uri, e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeaders(new HashMap<>(headers));
        });
    }

    private static long started(String runId) {
        return caravan.events().stream()
                .filter(e -> e.runId().equals(runId) && e.type().equals(EventTypes.RUN_STARTED)).count();
    }

    @Test
    void startRepliesWithTheRunIdAtOnceWhileTheRunWaitsForApproval() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=approved");

        Exchange sent = caravan.request(trigger, Map.of());

        String runId = sent.getMessage().getBody(String.class);
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> caravan.queries().get(runId).status() == RunStatus.AWAITING_APPROVAL);
    }

    @Test
    void waitForCompletionRepliesWithTheRunsOutput() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&waitForCompletion=true");

        Exchange sent = caravan.request(trigger, Map.of("name", "Ada"));

        assertThat(sent.getException()).isNull();
        assertThat(sent.getMessage().getBody()).isEqualTo("Hello, Ada");
        String runId = sent.getMessage().getHeader(RunConstants.RUN_ID, String.class);
        assertThat(caravan.queries().get(runId).status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void waitForCompletionWaitsThroughAGateUntilTheRunIsApproved() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=approved&waitForCompletion=true");
        ProducerTemplate template = caravan.camelContext().createProducerTemplate();

        String key = "approve-" + System.nanoTime();
        String runId = IdempotentRunIds.runId("default", key);

        CompletableFuture<Exchange> reply = template.asyncSend(trigger, e -> {
            e.getMessage().setBody(Map.of());
            e.getMessage().setHeader(RunConstants.IDEMPOTENCY_KEY, key);
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId) != null
                && caravan.queries().get(runId).status() == RunStatus.AWAITING_APPROVAL);
        assertThat(reply).as("the caller waits while the run awaits approval").isNotDone();

        caravan.runs().resolveGate(runId, "ok", true, "ada", null);

        Exchange done = reply.get(10, TimeUnit.SECONDS);
        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getBody()).isEqualTo("approved");
        assertThat(done.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
    }

    @Test
    void aFailedRunFailsTheExchangeWithRunFailedExceptionCarryingTheRunId() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=refuse&waitForCompletion=true");

        Exchange sent = caravan.request(trigger, Map.of());

        assertThat(sent.getException()).isInstanceOf(RunFailedException.class);
        RunFailedException failed = (RunFailedException) sent.getException();
        String runId = sent.getMessage().getHeader(RunConstants.RUN_ID, String.class);
        assertThat(failed.getRunId()).isEqualTo(runId);
        assertThat(failed.getStatus()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.getErrorCode()).isEqualTo("NOT_TODAY");
        assertThat(failed.code()).isEqualTo("RUN_FAILED");
        assertThat(failed).hasMessageStartingWith("Run " + runId + " of workflow refuse failed: ")
                .hasMessageContaining("not today");
    }

    @Test
    void aRunCancelledWhileTheCallerWaitsFailsTheExchangeAsCancelled() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=approved&waitForCompletion=true");
        String key = "cancel-" + System.nanoTime();
        String runId = IdempotentRunIds.runId("default", key);

        CompletableFuture<Exchange> reply = caravan.camelContext().createProducerTemplate().asyncSend(trigger, e -> {
            e.getMessage().setBody(Map.of());
            e.getMessage().setHeader(RunConstants.IDEMPOTENCY_KEY, key);
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId) != null
                && caravan.queries().get(runId).status() == RunStatus.AWAITING_APPROVAL);
        caravan.runs().cancel(runId, "changed my mind");

        Exchange done = reply.get(10, TimeUnit.SECONDS);
        assertThat(done.getException()).isInstanceOf(RunFailedException.class)
                .hasMessage("Run " + runId + " of workflow approved cancelled: changed my mind");
        assertThat(((RunFailedException) done.getException()).getStatus()).isEqualTo(RunStatus.CANCELLED);
        assertThat(((RunFailedException) done.getException()).code()).isEqualTo("RUN_CANCELLED");
    }

    @Test
    void theTimeoutFailsTheExchangeWithTheRunIdAndTheRunGoesOn() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=approved&waitForCompletion=true&timeout=300ms");

        Exchange sent = caravan.request(trigger, Map.of());

        assertThat(sent.getException()).isInstanceOf(RunWaitTimeoutException.class);
        RunWaitTimeoutException timedOut = (RunWaitTimeoutException) sent.getException();
        String runId = timedOut.getRunId();
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
        assertThat(timedOut).hasMessage("Run " + runId + " did not finish within 300 ms; it goes on");
        assertThat(timedOut.code()).isEqualTo("RUN_WAIT_TIMEOUT");
        assertThat(caravan.queries().get(runId).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        RunRecord done = caravan.runs().resolveGate(runId, "ok", true, "ada", null).get(10, TimeUnit.SECONDS);
        assertThat(done.output()).isEqualTo("approved");
    }

    @Test
    void theSameIdempotencyKeyTwiceIsOneRunWithOneId() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&waitForCompletion=true");
        Map<String, Object> headers = Map.of(RunConstants.IDEMPOTENCY_KEY, "order-" + System.nanoTime());

        Exchange first = send(trigger, Map.of("name", "Ada"), headers);
        Exchange second = send(trigger, Map.of("name", "Ada"), headers);

        String runId = first.getMessage().getHeader(RunConstants.RUN_ID, String.class);
        assertThat(second.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
        assertThat(second.getMessage().getBody()).as("the first run's outcome").isEqualTo("Hello, Ada");
        assertThat(runId).isEqualTo(IdempotentRunIds.runId("default", (String) headers.get(RunConstants.IDEMPOTENCY_KEY)));
        caravan.eventBus().drain(5_000);
        assertThat(started(runId)).isEqualTo(1);
    }

    @Test
    void concurrentStartsWithOneKeyMakeOneRun() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&waitForCompletion=true");
        String key = "burst-" + System.nanoTime();
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Exchange>> replies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            replies.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return send(trigger, Map.of("name", "Bo"), Map.of(RunConstants.IDEMPOTENCY_KEY, key));
            }));
        }
        go.countDown();

        Set<Object> ids = new HashSet<>();
        for (CompletableFuture<Exchange> reply : replies) {
            Exchange done = reply.get(20, TimeUnit.SECONDS);
            assertThat(done.getException()).isNull();
            assertThat(done.getMessage().getBody()).isEqualTo("Hello, Bo");
            ids.add(done.getMessage().getHeader(RunConstants.RUN_ID));
        }
        assertThat(ids).containsExactly(IdempotentRunIds.runId("default", key));
        caravan.eventBus().drain(5_000);
        assertThat(started(IdempotentRunIds.runId("default", key))).isEqualTo(1);
    }

    @Test
    void anIdempotencyKeyOfAnotherTenantIsAnotherRun() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet");
        String key = "shared-" + System.nanoTime();

        Object acme = send(trigger, Map.of("name", "A"), Map.of(RunConstants.IDEMPOTENCY_KEY, key,
                RunConstants.TENANT, "acme")).getMessage().getBody();
        Object globex = send(trigger, Map.of("name", "G"), Map.of(RunConstants.IDEMPOTENCY_KEY, key,
                RunConstants.TENANT, "globex")).getMessage().getBody();

        assertThat(acme).isNotEqualTo(globex);
    }

    @Test
    void aKeyThatStartedAnotherWorkflowIsRefused() throws Exception {
        String key = "reused-" + System.nanoTime();
        String greet = caravan.startRoute("caravan-run:start?workflow=greet");
        String approved = caravan.startRoute("caravan-run:start?workflow=approved");
        String runId = send(greet, Map.of("name", "A"), Map.of(RunConstants.IDEMPOTENCY_KEY, key))
                .getMessage().getBody(String.class);

        Exchange reused = send(approved, Map.of(), Map.of(RunConstants.IDEMPOTENCY_KEY, key));

        assertThat(reused.getException()).isInstanceOf(RunConflictException.class)
                .hasMessage("Idempotency key " + key + " started run " + runId + " of workflow greet, not approved: "
                            + "use a new key for a new request");
    }

    @Test
    void anInvalidIdempotencyKeyIsRefused() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet");

        Exchange sent = send(trigger, Map.of("name", "A"), Map.of(RunConstants.IDEMPOTENCY_KEY, "has space"));

        assertThat(sent.getException()).isInstanceOf(InvalidIdempotencyKeyException.class)
                .hasMessage("An idempotency key must be 1 to 255 visible ASCII characters");
    }

    @Test
    void laneTenantAndCorrelationIdHeadersLandOnTheRun() throws Exception {
        caravan.engine().lanes().create("start-lane", "acme", 2);
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&tenant=other&waitForCompletion=true");

        Exchange sent = send(trigger, Map.of("name", "Cy"), Map.of(RunConstants.TENANT, "acme",
                RunConstants.LANE, "start-lane", RunConstants.CORRELATION_ID, "ticket-42"));

        assertThat(sent.getException()).isNull();
        RunRecord r = caravan.queries().get(sent.getMessage().getHeader(RunConstants.RUN_ID, String.class));
        assertThat(r.tenant()).as("the header overrides the option").isEqualTo("acme");
        assertThat(r.lane()).isEqualTo("start-lane");
        assertThat(r.correlationId()).isEqualTo("ticket-42");
    }

    @Test
    void aTraceparentHeaderPutsTheRunInTheCallersTraceAndAMalformedOneIsIgnored() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&waitForCompletion=true");

        Exchange traced = send(trigger, Map.of("name", "Tr"), Map.of(RunConstants.TRACEPARENT,
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        Exchange malformed = send(trigger, Map.of("name", "Ma"), Map.of(RunConstants.TRACEPARENT,
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));

        assertThat(traced.getException()).isNull();
        assertThat(malformed.getException()).isNull();
        assertThat(caravan.queries().get(traced.getMessage().getHeader(RunConstants.RUN_ID, String.class)).traceId())
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(caravan.queries().get(malformed.getMessage().getHeader(RunConstants.RUN_ID, String.class))
                .traceId()).isNull();
    }

    @Test
    void aLaneOfAnotherTenantIsRefused() throws Exception {
        caravan.engine().lanes().create("acme-only", "acme", 2);
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&tenant=globex");

        Exchange sent = send(trigger, Map.of("name", "Di"), Map.of(RunConstants.LANE, "acme-only"));

        assertThat(sent.getException()).as("another tenant's lane is as unknown as one that never was")
                .isInstanceOf(UnknownLaneException.class).hasMessage("No lane acme-only: create it first");
        assertThat(((UnknownLaneException) sent.getException()).code()).isEqualTo("LANE_NOT_FOUND");
    }

    @Test
    void anUnknownLaneIsRefused() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet");

        Exchange sent = send(trigger, Map.of("name", "Di"), Map.of(RunConstants.LANE, "nowhere"));

        assertThat(sent.getException()).isInstanceOf(UnknownLaneException.class)
                .hasMessage("No lane nowhere: create it first");
    }

    @Test
    void anUnknownWorkflowFailsTheExchangeNamingTheDeployedOnes() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=refund&waitForCompletion=true");

        Exchange sent = caravan.request(trigger, Map.of());

        assertThat(sent.getException()).isInstanceOf(UnknownWorkflowException.class)
                .hasMessageStartingWith("No workflow named refund is deployed; deployed: ");
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isNull();
    }
}
