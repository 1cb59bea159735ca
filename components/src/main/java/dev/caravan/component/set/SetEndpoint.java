package dev.caravan.component.set;

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

/** A {@code set} node: its output is the map of computed values. */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-set", title = "Caravan Set", syntax = "caravan-set:nodeId",
             category = { Category.WORKFLOW }, producerOnly = true, headersClass = NodeConstants.class)
public class SetEndpoint extends NodeEndpoint {

    @UriParam(description = "The values to compute: a JSON object whose strings may hold $[[ expr ]] templates")
    @Metadata(required = true)
    private String values;

    private Template valuesTemplate;

    public SetEndpoint(String uri, SetComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return "set";
    }

    @Override
    public boolean isInstant() {
        return true;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        valuesTemplate = compileValue(values);
        if (valuesTemplate == null) {
            throw new IllegalArgumentException("caravan-set:" + getNodeId() + " needs values, a JSON object");
        }
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        return CompletableFuture.completedFuture(new NodeResult.Completed(valuesTemplate.evaluate(ctx.variables())));
    }

    public String getValues() {
        return values;
    }

    /** The values to compute: a JSON object whose strings may hold $[[ expr ]] templates. */
    public void setValues(String values) {
        this.values = values;
    }
}
