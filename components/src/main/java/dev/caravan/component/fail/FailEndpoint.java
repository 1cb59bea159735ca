package dev.caravan.component.fail;

import dev.caravan.component.node.ErrorCodes;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeErrorException;
import dev.caravan.component.node.NodeResult;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.expr.Template;
import dev.caravan.json.Json;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Ends the run as failed with a message and an error code: a guard rail written in the workflow, usually with a
 * condition.
 * <p>
 * A {@code fail} node's message and code are both templates. Inside a map item or loop iteration whose map or loop
 * has {@code onError: continue} it fails that map or loop instead.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-fail", title = "Caravan Fail",
             syntax = "caravan-fail:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class FailEndpoint extends NodeEndpoint {

    private Template messageTemplate;
    private Template codeTemplate;

    public FailEndpoint(String uri, FailComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return FailKind.NAME;
    }

    /** It computes its message and fails, touching nothing outside the run: no start to record first. */
    @Override
    public boolean isInstant() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        FailSpec fail = spec(node, FailSpec.class);
        if (fail.message() == null) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs a message");
        }
        messageTemplate = compile(fail.message());
        codeTemplate = compile(fail.code());
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        String message = text(messageTemplate.evaluate(ctx.variables()));
        String code = codeTemplate == null ? "" : text(codeTemplate.evaluate(ctx.variables())).strip();
        return CompletableFuture.failedFuture(new NodeErrorException(code.isEmpty() ? ErrorCodes.FAILED : code,
                message));
    }

    private static String text(Object value) {
        return value instanceof String s ? s : value == null ? "" : Json.write(value);
    }
}
