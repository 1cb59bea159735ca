package dev.caravan.component.node;

import dev.caravan.dsl.RetryPolicy;
import dev.caravan.expr.ExpressionException;
import dev.caravan.json.JsonSize;
import dev.caravan.llm.LlmException;
import dev.caravan.run.RunRecords;
import dev.caravan.run.StepServices;
import dev.caravan.spi.Timers;
import dev.caravan.state.Mutation;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Durable execution of one node, by replay: a node key that already completed in this run returns its recorded
 * output and does nothing else; otherwise the node runs once its needs are done, and its result is recorded
 * atomically. Re-running the whole route for a run id therefore resumes it where it stopped.
 */
public class NodeProducer extends DefaultAsyncProducer {

    private static final Logger LOG = LoggerFactory.getLogger(NodeProducer.class);

    private final NodeEndpoint endpoint;

    public NodeProducer(NodeEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        try {
            return doProcess(exchange, callback);
        } catch (Exception e) {
            keepDeferred(exchange);
            exchange.setException(e);
            callback.done(true);
            return true;
        }
    }

    private boolean doProcess(Exchange exchange, AsyncCallback callback) {
        String runId = exchange.getProperty(RunRecords.RUN_ID, String.class);
        if (runId == null) {
            throw new IllegalStateException(endpoint.getEndpointBaseUri()
                    + " runs only inside a workflow route: the exchange has no " + RunRecords.RUN_ID
                    + " property (start runs with caravan-run or the RunService)");
        }
        StepServices services = endpoint.services();
        String scope = exchange.getProperty(NodeConstants.SCOPE, "", String.class);
        String key = scope + endpoint.getNodeId();
        RunRecord record = RunRecords.seen(exchange, runId);
        boolean fresh = record == null;
        if (fresh) {
            record = read(services, exchange, runId);
        }
        Step step = decide(record, key, scope);
        if (!fresh && step != Step.RUN && step != Step.DONE) {
            record = read(services, exchange, runId);
            step = decide(record, key, scope);
        }
        switch (step) {
            case STOP -> {
                // cancelled or failed elsewhere: stop at this node boundary
                RunRecords.flush(services.store(), exchange, runId);
                exchange.setRouteStop(true);
                callback.done(true);
                return true;
            }
            case DONE -> {
                exchange.getMessage().setBody(services.values().resolve(record.node(key).output()));
                passOnDeferred(services, exchange, runId);
                callback.done(true);
                return true;
            }
            case WAIT -> {
                // pending, or a need is running elsewhere, pending or failed: a later replay gets here again
                passOnDeferred(services, exchange, runId);
                callback.done(true);
                return true;
            }
            case SKIP_NEEDS -> {
                skip(services, exchange, runId, key, "everything it needs was skipped or rejected");
                callback.done(true);
                return true;
            }
            default -> {
            }
        }
        Map<String, Object> variables = RunScope.variables(services, record, scope, RunScope.scopeVariables(exchange));
        NodeRecord existing = record.node(key);
        // A node caught in flight by a crash runs again as the same attempt (same idempotency key), and so does a
        // container (map, loop, sub-workflow) entered again to continue what waits inside it; one whose failed
        // attempt was recorded runs as the next.
        boolean sameAttempt = existing != null && (existing.status() == NodeStatus.RUNNING && existing.error() == null
                                                   || existing.status().isPending() && endpoint.isContainer());
        int attempt = existing == null ? 1 : sameAttempt ? existing.attempts() : existing.attempts() + 1;
        NodeContext ctx = new NodeContext(services, exchange, runId, key, scope, attempt, record, variables);
        // a route that starts runs itself (from an HTTP trigger) carries the caller's credential headers
        ctx.discloseCredentials(exchange.getMessage().getHeaders());
        if (endpoint.whenTemplate() != null) {
            boolean run;
            try {
                run = endpoint.whenTemplate().evaluateBoolean(variables);
            } catch (ExpressionException e) {
                // a broken condition is the node's failure: recorded on it, and onError applies
                failed(ctx, new ConditionFailedException(e), callback);
                return false;
            }
            if (!run) {
                skip(services, exchange, runId, key, "when is false");
                callback.done(true);
                return true;
            }
        }
        attempt(ctx, callback);
        return false;
    }

    /** A {@code when} that could not be evaluated. */
    private static final class ConditionFailedException extends ExpressionException {
        ConditionFailedException(ExpressionException cause) {
            super(cause.getMessage(), cause.offset(), cause);
        }
    }

    /** What a node step does with the record it sees. */
    private enum Step {
        STOP, DONE, WAIT, SKIP_NEEDS, RUN
    }

    private Step decide(RunRecord record, String key, String scope) {
        if (record.status().isTerminal()) {
            return Step.STOP;
        }
        NodeRecord existing = record.node(key);
        if (existing != null) {
            if (existing.settled()) {
                return Step.DONE;
            }
            if (existing.status().isPending() && !endpoint.isContainer()) {
                return Step.WAIT;
            }
        }
        boolean allNeedsSkipped = !endpoint.needsList().isEmpty();
        for (String need : endpoint.needsList()) {
            NodeRecord n = record.node(scope + need);
            if (n == null || !n.settled()) {
                return Step.WAIT;
            }
            allNeedsSkipped &= n.status().skipsDependents();
        }
        return allNeedsSkipped ? Step.SKIP_NEEDS : Step.RUN;
    }

    private static RunRecord read(StepServices services, Exchange exchange, String runId) {
        RunRecord record = RunRecords.read(services.store(), exchange, runId);
        if (record == null) {
            throw new IllegalStateException("Run " + runId + " does not exist");
        }
        return record;
    }

    /**
     * A step that makes no update of its own leaves what earlier steps deferred to the next one when it records with
     * the next itself, and applies it otherwise.
     */
    private void passOnDeferred(StepServices services, Exchange exchange, String runId) {
        if (!endpoint.isRecordWithNext()) {
            RunRecords.flush(services.store(), exchange, runId);
        }
    }

    /** On a failure of this step, what earlier steps deferred is still recorded (best effort: it is failing). */
    private void keepDeferred(Exchange exchange) {
        String runId = exchange.getProperty(RunRecords.RUN_ID, String.class);
        if (runId == null) {
            return;
        }
        try {
            RunRecords.flush(endpoint.services().store(), exchange, runId);
        } catch (RuntimeException e) {
            LOG.warn("Updates of run {} before node {} not recorded: {}", runId, endpoint.getNodeId(), e.toString());
        }
    }

    /** Records an update, with the next step's when this one records with the next. */
    private Mutation.Result update(StepServices services, Exchange exchange, String runId, Mutation mutation) {
        return endpoint.isRecordWithNext() ? RunRecords.defer(services.store(), exchange, runId, mutation)
                : RunRecords.apply(services.store(), exchange, runId, mutation);
    }

    private void skip(StepServices services, Exchange exchange, String runId, String key, String reason) {
        update(services, exchange, runId, new Mutation.SkipNode(key, endpoint.kind(), reason));
    }

    private void attempt(NodeContext ctx, AsyncCallback callback) {
        StepServices services = ctx.services();
        Optional<String> killed = services.killSwitches().stopping(ctx.record().workflow(), ctx.record().tenant());
        if (killed.isPresent()) {
            // a kill switch: the run ends at this node boundary, before the node (and any LLM call) runs
            RunRecords.apply(services.store(), ctx.exchange(), ctx.runId(), new Mutation.CancelRun(killed.get(),
                    "kill-switch", ctx.key()));
            ctx.exchange().setRouteStop(true);
            callback.done(false);
            return;
        }
        // what earlier steps deferred is recorded before this node acts outside the run: with its start, or first
        Mutation.Result recorded = !endpoint.isInstant()
                ? RunRecords.apply(services.store(), ctx.exchange(), ctx.runId(),
                        new Mutation.StartNode(ctx.key(), endpoint.kind(), ctx.attempt(), endpoint.isContainer()))
                : endpoint.actsBeforeRecording() ? RunRecords.flush(services.store(), ctx.exchange(), ctx.runId())
                : null;
        if (recorded != null && !recorded.accepted()) {
            notRecorded(ctx, recorded);
            callback.done(false);
            return;
        }
        CompletionStage<NodeResult> stage;
        try {
            stage = endpoint.execute(ctx);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        if (endpoint.getTimeout() > 0) {
            stage = withTimeout(services, stage, endpoint.getTimeout());
        }
        stage.whenComplete((result, error) -> {
            try {
                ValueTooLargeException tooLarge = error == null ? tooLarge(ctx, result) : null;
                if (error == null && tooLarge == null) {
                    record(ctx, result);
                    callback.done(false);
                } else {
                    failed(ctx, tooLarge != null ? tooLarge : unwrap(error), callback);
                }
            } catch (RuntimeException e) {
                ctx.exchange().setException(e);
                callback.done(false);
            }
        });
    }

    /**
     * The stage, failing with a {@link TimeoutException} when it has not completed after {@code millis}. Not
     * {@code orTimeout}: that completes on the JDK's one delayer thread, and what follows (the retry, the rest of the
     * route) would run there and hold up every other timeout in the JVM. The engine's timer hands the timeout to its
     * worker pool instead.
     */
    private static CompletionStage<NodeResult> withTimeout(StepServices services, CompletionStage<NodeResult> stage,
            long millis) {
        CompletableFuture<NodeResult> timed = new CompletableFuture<>();
        Timers.Timer timer;
        try {
            timer = services.timers().schedule(() -> timed.completeExceptionally(new TimeoutException()), millis);
        } catch (RejectedExecutionException closing) {
            return stage;
        }
        stage.whenComplete((result, error) -> {
            timer.cancel();
            if (error != null) {
                timed.completeExceptionally(error);
            } else {
                timed.complete(result);
            }
        });
        return timed;
    }

    /** An output over the engine's cap fails the node: every copy of the run record would carry it. */
    private static ValueTooLargeException tooLarge(NodeContext ctx, NodeResult result) {
        if (result instanceof NodeResult.Completed c && c.output() != null) {
            long cap = ctx.services().maxValueBytes();
            Object out = c.output();
            long size = JsonSize.bytes(out, cap);
            if (size > cap) {
                return new ValueTooLargeException(ctx.key(), size, cap);
            }
        }
        return null;
    }

    /**
     * Records what the node produced. Every outcome of every kind of node is recorded here (and its failures in
     * {@link #failed}), so this is where the secrets the attempt disclosed are taken out of it: an endpoint that echoes
     * its request must not put them into the run record, its events, the store or anything that prints them.
     */
    @SuppressWarnings("unchecked")
    private void record(NodeContext ctx, NodeResult result) {
        StepServices services = ctx.services();
        if (result instanceof NodeResult.Completed c) {
            Object output = ctx.redactValue(c.output());
            Mutation.Result r = update(services, ctx.exchange(), ctx.runId(), new Mutation.CompleteNode(ctx.key(),
                    endpoint.kind(), output, c.costMicros(), c.tokens(),
                    (Map<String, Object>) ctx.redactValue(c.detail()), endpoint.isInstant(),
                    ctx.redact(c.lastDelta())));
            if (r.accepted()) {
                ctx.exchange().getMessage().setBody(output);
            } else {
                notRecorded(ctx, r);
            }
        } else if (result instanceof NodeResult.Paused p) {
            Mutation.Result r = RunRecords.apply(services.store(), ctx.exchange(), ctx.runId(),
                    new Mutation.PauseNode(ctx.key(), endpoint.kind(), p.status(),
                            (Map<String, Object>) ctx.redactValue(p.detail())));
            if (r.accepted()) {
                endpoint.afterPause(ctx, p);
            }
        }
    }

    /**
     * The store refused the update: the run ended meanwhile, another member took it over, or another execution
     * recorded this node first.
     */
    private static void notRecorded(NodeContext ctx, Mutation.Result r) {
        LOG.debug("Node {} of run {} not recorded: {}", ctx.key(), ctx.runId(), r.reason());
        if (r.status() != null && r.status().isTerminal() || Mutation.refusedAsNotOwner(r)) {
            // ended, or taken over by another member: this execution stops here
            ctx.exchange().setRouteStop(true);
        } else if (r.record() != null && r.record().node(ctx.key()) != null
                   && r.record().node(ctx.key()).settled()) {
            ctx.exchange().getMessage().setBody(ctx.services().values().resolve(r.record().node(ctx.key()).output()));
        }
    }

    private void failed(NodeContext ctx, Throwable error, AsyncCallback callback) {
        StepServices services = ctx.services();
        if (services.isStopping()) {
            // the instance is shutting down, not the node failing: leave the node in flight, to be resumed
            LOG.debug("Node {} of run {} interrupted by shutdown: {}", ctx.key(), ctx.runId(), ctx.redact(error.toString()));
            ctx.exchange().setException(new RunInterruptedException(ctx.runId(), error));
            callback.done(false);
            return;
        }
        RetryPolicy retry = endpoint.retryPolicy();
        boolean again = ctx.attempt() < retry.maxAttempts() && retryable(error);
        String errorClass = (error instanceof ConditionFailedException ? error.getCause() : error).getClass().getName();
        String code = ErrorCodes.of(error, endpoint.defaultErrorCode());
        String message = ctx.redact(message(ctx, error));
        if (again) {
            long delay = retry.delayAfter(ctx.attempt()).toMillis();
            RunRecords.apply(services.store(), ctx.exchange(), ctx.runId(),
                    new Mutation.FailNode(ctx.key(), endpoint.kind(), errorClass, code, message, delay, true, false));
            NodeContext next = new NodeContext(services, ctx.exchange(), ctx.runId(), ctx.key(), ctx.scope(),
                    ctx.attempt() + 1, ctx.record(), ctx.variables(), ctx.disclosedSecrets());
            try {
                // the timer only schedules: the next attempt and the rest of the route run on the worker pool
                services.timers().schedule(() -> retry(next, callback), delay);
            } catch (RejectedExecutionException shuttingDown) {
                ctx.exchange().setException(new RunInterruptedException(ctx.runId(), error));
                callback.done(false);
            }
            return;
        }
        if (endpoint.isContinueOnError()) {
            // onError: continue: the node ends as failed, its output is null, and the route goes on
            Mutation.Result r = RunRecords.apply(services.store(), ctx.exchange(), ctx.runId(),
                    new Mutation.FailNode(ctx.key(), endpoint.kind(), errorClass, code, message, -1, false, true));
            if (r.accepted()) {
                ctx.exchange().getMessage().setBody(null);
            } else {
                notRecorded(ctx, r);
            }
            callback.done(false);
            return;
        }
        // in a map item or loop iteration whose container continues on error, the container fails, not the run
        boolean contained = ctx.exchange().getProperty(NodeConstants.FAILURES_CONTAINED, false, Boolean.class);
        RunRecords.apply(services.store(), ctx.exchange(), ctx.runId(),
                new Mutation.FailNode(ctx.key(), endpoint.kind(), errorClass, code, message, -1, !contained, false));
        if (error instanceof NodeFailedException) {
            ctx.exchange().setException(error);
        } else {
            // the cause may quote a disclosed secret: then the exchange gets the redacted account only
            Throwable cause = ctx.disclosedSecrets().isEmpty() ? error : new RedactedException(code, errorClass, message);
            ctx.exchange().setException(new NodeFailedException(ctx.key(), ctx.exchange(), cause, code, message));
        }
        callback.done(false);
    }

    /** The next attempt after a backoff; a failure to even start it ends the exchange, which nobody else would. */
    private void retry(NodeContext next, AsyncCallback callback) {
        try {
            attempt(next, callback);
        } catch (RuntimeException e) {
            keepDeferred(next.exchange());
            next.exchange().setException(e);
            callback.done(false);
        }
    }

    /** What the run records of a failure; an expression's names the node, and the expression is in its text. */
    private String message(NodeContext ctx, Throwable error) {
        if (error instanceof TimeoutException) {
            return "timed out after " + endpoint.getTimeout() + " ms";
        }
        if (error instanceof ConditionFailedException) {
            return "when of node '" + ctx.key() + "': " + error.getMessage();
        }
        if (error instanceof ExpressionException) {
            return "node '" + ctx.key() + "': " + error.getMessage();
        }
        if (error instanceof NodeFailedException e && e.summary() != null) {
            // a sub-node of this map or loop failed
            return e.summary();
        }
        return String.valueOf(error.getMessage());
    }

    /**
     * Failures another attempt cannot mend are not retried: expressions are deterministic over the recorded state,
     * and a fail node, a failed child run or a timed-out gate fail the same way again.
     */
    private static boolean retryable(Throwable error) {
        return !(error instanceof NodeFailedException) && !(error instanceof ValueTooLargeException)
               && !(error instanceof ExpressionException) && !(error instanceof NodeErrorException)
               && !(error instanceof LlmException le && !le.retryable());
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException)
               && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
