package dev.caravan.component.node;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs the body route of a map item or loop iteration: an exchange of the same run whose node keys are prefixed by
 * the scope ({@code each[2].}) and which sees the scope's variables.
 */
public final class ScopedBody {

    private final ProducerTemplate template;
    private final org.apache.camel.Endpoint body;

    public ScopedBody(CamelContext camelContext, String bodyUri) {
        this.template = camelContext.createProducerTemplate();
        this.body = camelContext.getEndpoint(bodyUri);
    }

    /** Completes when the body route finished; fails with the exception it ended with. */
    public CompletableFuture<Void> run(NodeContext parent, String scope, Map<String, Object> variables) {
        Exchange ex = new DefaultExchange(parent.exchange().getContext());
        ex.setProperty(NodeConstants.RUN_ID, parent.runId());
        ex.setProperty(NodeConstants.SCOPE, scope);
        Object seen = parent.exchange().getProperty(NodeConstants.RECORD);
        if (seen != null) {
            ex.setProperty(NodeConstants.RECORD, seen);
        }
        Map<String, Object> vars = new HashMap<>(parent.scopeVariables());
        vars.putAll(variables);
        ex.setProperty(NodeConstants.SCOPE_VARIABLES, vars);
        return template.asyncSend(body, ex).thenApply(done -> {
            if (done.getException() != null) {
                throw new java.util.concurrent.CompletionException(done.getException());
            }
            return null;
        });
    }

    public void stop() {
        template.stop();
    }
}
