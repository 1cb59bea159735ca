package dev.caravan.component.emit;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.expr.Template;
import org.apache.camel.Category;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** An {@code emit} node: publishes an event of the given type with the given data; its output is the data. */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-emit", title = "Caravan Emit", syntax = "caravan-emit:nodeId",
             category = { Category.WORKFLOW }, producerOnly = true, headersClass = NodeConstants.class)
public class EmitEndpoint extends NodeEndpoint {

    @UriParam(description = "The CloudEvents type of the event, e.g. ticket.triaged")
    @Metadata(required = true)
    private String type;
    @UriParam(description = "The event data: text or JSON, may hold $[[ expr ]] templates")
    private String data;

    private Template dataTemplate;

    public EmitEndpoint(String uri, EmitComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return "emit";
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("caravan-emit:" + getNodeId() + " needs a type");
        }
        dataTemplate = data == null ? null : compileValue(data);
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        Object value = dataTemplate == null ? null : dataTemplate.evaluate(ctx.variables());
        ctx.emit(type, value);
        return CompletableFuture.completedFuture(new NodeResult.Completed(value));
    }

    public String getType() {
        return type;
    }

    /** The CloudEvents type of the event, e.g. ticket.triaged. */
    public void setType(String type) {
        this.type = type;
    }

    public String getData() {
        return data;
    }

    /** The event data: text or JSON, may hold $[[ expr ]] templates. */
    public void setData(String data) {
        this.data = data;
    }
}
