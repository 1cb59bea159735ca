package dev.caravan.component.run;

import dev.caravan.event.TraceParent;
import dev.caravan.run.IdempotentRunIds;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.RunFailedException;
import dev.caravan.run.RunService;
import dev.caravan.run.RunWaitTimeoutException;
import dev.caravan.spi.Timers;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code caravan-run:start}: starts a run (or finds the one its idempotency key started) and replies with its id at
 * once, or, with {@code waitForCompletion}, with its output once it has finished. The exchange waiting for a run holds
 * no thread: it is completed from the engine's worker pool when the run finishes, or its timeout passes.
 */
final class RunStartProducer extends DefaultAsyncProducer {

    private final RunEndpoint endpoint;

    RunStartProducer(RunEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        String runId;
        try {
            TriggerEvents trigger = endpoint.triggerEvents();
            if (trigger == null) {
                runId = start(exchange.getMessage(), RunEndpoint.plainInput(exchange.getMessage()), null);
            } else {
                TriggerActivity activity = endpoint.triggerActivity();
                activity.received();
                try {
                    TriggerEvents.Event event = trigger.read(exchange);
                    if (!event.accepted()) {
                        activity.skipped();
                        exchange.getMessage().setHeader(RunConstants.SKIPPED, true);
                        exchange.getMessage().setBody(null);
                        callback.done(true);
                        return true;
                    }
                    runId = start(exchange.getMessage(), event.input(), event.idempotencyKey());
                    activity.started();
                } catch (RuntimeException e) {
                    activity.failed(e);
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        exchange.getMessage().setHeader(RunConstants.RUN_ID, runId);
        exchange.getMessage().setBody(runId);
        RunConfiguration config = endpoint.getConfiguration();
        if (!config.isWaitForCompletion()) {
            callback.done(true);
            return true;
        }
        CompletableFuture<RunRecord> finished;
        Timers.Timer deadline;
        try {
            finished = endpoint.runService().finished(runId);
            long timeout = config.getTimeout();
            deadline = timeout <= 0 || finished.isDone() ? null : endpoint.timers().schedule(
                    () -> finished.completeExceptionally(new RunWaitTimeoutException(runId, Duration.ofMillis(timeout))),
                    timeout);
        } catch (RuntimeException e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        if (finished.isDone()) {
            if (deadline != null) {
                deadline.cancel();
            }
            reply(exchange, finished);
            callback.done(true);
            return true;
        }
        finished.whenComplete((r, e) -> {
            if (deadline != null) {
                deadline.cancel();
            }
            reply(exchange, finished);
            callback.done(false);
        });
        return false;
    }

    /**
     * Starts the run the message asks for with this input, or finds the one its idempotency key (the header's, else
     * the key of the trigger's event) started; returns its id.
     */
    private String start(Message in, Object input, String eventKey) {
        RunConfiguration config = endpoint.getConfiguration();
        String workflow = endpoint.getWorkflow();
        String tenant = in.getHeader(RunConstants.TENANT, String.class);
        if (tenant == null) {
            tenant = config.getTenant() == null ? "default" : config.getTenant();
        }
        String lane = in.getHeader(RunConstants.LANE, String.class);
        String key = in.getHeader(RunConstants.IDEMPOTENCY_KEY, String.class);
        String runId = key != null ? IdempotentRunIds.runId(tenant, key)
                : eventKey != null ? IdempotentRunIds.ofEvent(tenant, eventKey) : null;
        if (runId != null) {
            RunRecord earlier = endpoint.stepServices().store().get(runId);
            if (earlier != null) {
                if (!earlier.workflow().equals(workflow)) {
                    throw new RunConflictException("Idempotency key " + (key != null ? key : eventKey) + " started run " + runId + " of workflow "
                            + earlier.workflow() + ", not " + workflow + ": use a new key for a new request");
                }
                return runId;
            }
        }
        // a run id among the headers is ignored: an HTTP request or a Kafka record could otherwise name the run it
        // starts, execute an existing run again or take the id of a sub-workflow run before its parent makes it. Two
        // starts with one key racing here make one run: the second one's creation finds the first one's run.
        String created = endpoint.runService().create(new RunService.StartRequest(workflow, input,
                tenant, lane, runId, null, null, in.getHeader(RunConstants.CORRELATION_ID, String.class),
                TraceParent.traceId(in.getHeader(RunConstants.TRACEPARENT, String.class))));
        // here or on its owner; a run queued in its lane waits for the lane, and one a racing start with the same key
        // made goes round once more at most, as on any request to execute it
        endpoint.runExecutor().execute(created);
        return created;
    }

    private static void reply(Exchange exchange, CompletableFuture<RunRecord> finished) {
        RunRecord r;
        try {
            r = finished.join();
        } catch (CompletionException e) {
            exchange.setException(e.getCause());
            return;
        } catch (CancellationException e) {
            exchange.setException(e);
            return;
        }
        if (r.status() == RunStatus.COMPLETED) {
            exchange.getMessage().setBody(r.output());
        } else {
            exchange.setException(new RunFailedException(r));
        }
    }
}
