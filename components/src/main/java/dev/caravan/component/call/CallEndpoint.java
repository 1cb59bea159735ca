package dev.caravan.component.call;

import dev.caravan.component.node.ErrorCodes;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.component.node.PlainValues;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.expr.Template;
import dev.caravan.json.Json;
import dev.caravan.run.Secrets;
import dev.caravan.support.HttpEndpoints;
import dev.caravan.support.OutboundHeaders;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Category;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.spi.ProducerCache;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.cache.DefaultProducerCache;
import org.apache.camel.support.service.ServiceHelper;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends a message to any Camel endpoint as the call node of a workflow, and records the reply body as its output.
 * <p>
 * The body, headers and even the URI are the node's templates, evaluated for each attempt. The message carries the
 * attempt's idempotency key so the endpoint can recognise a call repeated after a crash: an in-process endpoint
 * (direct, seda, a bean) gets it as CamelCaravanIdempotencyKey beside CamelCaravanRunId and CamelCaravanNodeKey; a
 * remote one (HTTP, Kafka, ...) gets it as Idempotency-Key, and none of Caravan's own headers.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-call", title = "Caravan Call", syntax = "caravan-call:nodePath",
             category = { Category.WORKFLOW }, producerOnly = true, headersClass = NodeConstants.class)
public class CallEndpoint extends NodeEndpoint {

    private Template bodyTemplate;
    private Template headersTemplate;
    private Template uriTemplate;
    /**
     * The target's own producer when the target is fixed, called directly: a synchronous endpoint (direct:, a bean)
     * runs on this thread instead of being handed to a template's executor.
     */
    private AsyncProducer fixedTarget;
    /** The URI of the fixed target, worked out once; null when the target is computed. */
    private String fixedTargetUri;
    /**
     * Producers of targets computed by an expression, as Camel's {@code toD} keeps them: a producer dropped from
     * the cache is stopped only once no call uses it.
     */
    private ProducerCache computedTargets;
    private static final int MAX_COMPUTED_TARGETS = 64;

    public CallEndpoint(String uri, CallComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return CallKind.NAME;
    }

    @Override
    protected boolean isRetryable() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        CallSpec call = spec(node, CallSpec.class);
        if (call.uri() == null || call.uri().isBlank()) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs a uri");
        }
        bodyTemplate = compileValue(call.body());
        headersTemplate = compileValue(call.headers() == null || call.headers().isEmpty() ? null : call.headers());
        uriTemplate = compile(call.uri());
        if (uriTemplate.isConstant()) {
            fixedTargetUri = String.valueOf(uriTemplate.evaluate(Map.of()));
            try {
                fixedTarget = getCamelContext().getEndpoint(fixedTargetUri).createAsyncProducer();
                fixedTarget.start();
            } catch (Exception e) {
                throw new IllegalArgumentException("Cannot send to " + fixedTargetUri + ": " + e.getMessage(), e);
            }
        } else {
            computedTargets = new DefaultProducerCache(this, getCamelContext(),
                    MAX_COMPUTED_TARGETS);
            computedTargets.start();
        }
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(fixedTarget, computedTargets);
        fixedTarget = null;
        fixedTargetUri = null;
        computedTargets = null;
        super.doStop();
    }

    /** The endpoint a request goes to. */
    private Endpoint target(String targetUri) {
        if (fixedTarget != null) {
            return fixedTarget.getEndpoint();
        }
        Endpoint target;
        try {
            target = getCamelContext().getEndpoint(targetUri);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Cannot send to " + targetUri + ": " + e.getMessage(), e);
        }
        if (target == null) {
            throw new IllegalArgumentException("Cannot send to " + targetUri + ": no component for it");
        }
        return target;
    }

    /** Sends the request to its target; the callback runs when the reply (or failure) is in. */
    private void send(Endpoint target, Exchange request, AsyncCallback done) {
        if (fixedTarget != null) {
            fixedTarget.process(request, done);
            return;
        }
        computedTargets.doInAsyncProducer(target, request, done, (producer, exchange, callback) ->
                producer.process(exchange, callback));
    }

    @Override
    protected String defaultErrorCode() {
        return ErrorCodes.CALL_FAILED;
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        Exchange request = new DefaultExchange(getCamelContext());
        request.getMessage().setBody(bodyTemplate == null ? null : bodyTemplate.evaluate(ctx.variables()));
        if (headersTemplate != null && headersTemplate.evaluate(ctx.variables()) instanceof Map<?, ?> h) {
            // secret:NAME header values are resolved only here, on the message that leaves
            h.forEach((k, v) -> request.getMessage().setHeader(String.valueOf(k),
                    Secrets.isReference(v) ? ctx.secret(v) : v));
        }
        // the values of credential headers (Authorization: Bearer ${{ input.token }}) are kept out of the record too
        ctx.discloseCredentials(request.getMessage().getHeaders());
        request.getMessage().setHeader(NodeConstants.IDEMPOTENCY_KEY, ctx.idempotencyKey());
        request.getMessage().setHeader(NodeConstants.RUN_ID_HEADER, ctx.runId());
        request.getMessage().setHeader(NodeConstants.NODE_KEY_HEADER, ctx.key());
        String targetUri = fixedTargetUri != null ? fixedTargetUri
                : String.valueOf(uriTemplate.evaluate(ctx.variables()));
        Endpoint target = target(targetUri);
        // Caravan's own headers stay in the process: a remote endpoint gets the key as Idempotency-Key instead
        OutboundHeaders.prepare(target, request.getMessage(), ctx.idempotencyKey());
        boolean http = HttpEndpoints.isHttp(targetUri);
        if (http) {
            Object body = request.getMessage().getBody();
            if (body instanceof Map<?, ?> || body instanceof List<?>) {
                // a structured body goes over HTTP as JSON
                request.getMessage().setBody(Json.write(body));
                if (request.getMessage().getHeader("Content-Type") == null) {
                    request.getMessage().setHeader("Content-Type", "application/json");
                }
            } else if (body instanceof Number || body instanceof Boolean) {
                // a number or boolean written in the workflow goes as its text, as a string body does
                request.getMessage().setBody(String.valueOf(body));
            }
        }
        CompletableFuture<NodeResult> result = new CompletableFuture<>();
        send(target, request, doneSync -> {
            // a reply carries the request's headers back (and a service may set credentials of its own, a cookie)
            ctx.discloseCredentials(request.getMessage().getHeaders());
            if (request.getException() != null) {
                result.completeExceptionally(request.getException());
            } else {
                Object output = PlainValues.of(request);
                String type = request.getMessage().getHeader("Content-Type", String.class);
                if (http && output instanceof String text && type != null && type.contains("json")) {
                    // a JSON reply is data the next nodes read by field (text it stays when it is not JSON after all)
                    try {
                        output = Json.parse(text);
                    } catch (RuntimeException notJson) {
                        output = text;
                    }
                }
                result.complete(new NodeResult.Completed(output));
            }
        });
        return result;
    }
}
