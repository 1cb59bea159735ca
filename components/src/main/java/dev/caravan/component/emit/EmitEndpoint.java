package dev.caravan.component.emit;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.expr.Template;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Publishes an event of a type the workflow names, with data computed from the run, on the run's event stream.
 * <p>
 * An {@code emit} node's output is the event's data.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-emit", title = "Caravan Emit",
             syntax = "caravan-emit:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class EmitEndpoint extends NodeEndpoint {

    private String type;
    private Template dataTemplate;

    public EmitEndpoint(String uri, EmitComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return EmitKind.NAME;
    }

    @Override
    protected boolean isRetryable() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        EmitSpec emit = spec(node, EmitSpec.class);
        if (emit.type() == null || emit.type().isBlank()) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs a type");
        }
        type = emit.type();
        dataTemplate = compileValue(emit.data());
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        Object value = dataTemplate == null ? null : dataTemplate.evaluate(ctx.variables());
        ctx.emit(type, value);
        return CompletableFuture.completedFuture(new NodeResult.Completed(value));
    }
}
