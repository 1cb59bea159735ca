package dev.caravan.component.node;

import dev.caravan.run.RunRecords;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Runs the body route of a map item or loop iteration: an exchange of the same run whose node keys are prefixed by
 * the scope ({@code each[2].}) and which sees the scope's variables.
 */
public final class ScopedBody {

    private final AsyncProducer body;
    private final Executor dispatcher;
    private final boolean containsFailures;

    /**
     * @param dispatcher       where each body starts: the engine's task executor for map items, so items that block
     *                         run side by side; null to start on the calling thread (loop iterations, which run one
     *                         by one)
     * @param containsFailures whether the container continues on error: a node failing in its body then fails the
     *                         container, not the run
     */
    public ScopedBody(CamelContext camelContext, String bodyUri, Executor dispatcher,
            boolean containsFailures) throws Exception {
        this.body = camelContext.getEndpoint(bodyUri).createAsyncProducer();
        this.dispatcher = dispatcher;
        this.containsFailures = containsFailures;
        body.start();
    }

    /** Completes when the body route finished; fails with the exception it ended with. */
    public CompletableFuture<Void> run(NodeContext parent, String scope, Map<String, Object> variables) {
        Exchange ex = new DefaultExchange(parent.exchange().getContext());
        ex.setProperty(RunRecords.RUN_ID, parent.runId());
        ex.setProperty(NodeConstants.SCOPE, scope);
        Object seen = parent.exchange().getProperty(RunRecords.RECORD);
        if (seen != null) {
            ex.setProperty(RunRecords.RECORD, seen);
        }
        Map<String, Object> vars = new HashMap<>(parent.scopeVariables());
        vars.putAll(variables);
        ex.setProperty(NodeConstants.SCOPE_VARIABLES, vars);
        if (containsFailures || parent.exchange().getProperty(NodeConstants.FAILURES_CONTAINED, false, Boolean.class)) {
            ex.setProperty(NodeConstants.FAILURES_CONTAINED, true);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable start = () -> body.process(ex, doneSync -> {
            if (ex.getException() != null) {
                done.completeExceptionally(ex.getException());
            } else {
                done.complete(null);
            }
        });
        if (dispatcher != null) {
            dispatcher.execute(start);
        } else {
            start.run();
        }
        return done;
    }

    public void stop() {
        body.stop();
    }
}
