package dev.caravan.component.set;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.expr.Template;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Computes values from the run's input and node outputs; as a remember node, also stores them in the lane's memory.
 * <p>
 * A {@code set} node's output is the map of computed values. With {@code remember} (a {@code remember} node) each
 * value is also stored in the memory of the run's lane.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-set", title = "Caravan Set",
             syntax = "caravan-set:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class SetEndpoint extends NodeEndpoint {

    private boolean remember;
    private Template valuesTemplate;

    public SetEndpoint(String uri, SetComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return remember ? RememberKind.NAME : SetKind.NAME;
    }

    @Override
    public boolean isInstant() {
        return true;
    }

    @Override
    public boolean actsBeforeRecording() {
        return remember;
    }

    @Override
    protected boolean runs(String nodeKind) {
        return SetKind.NAME.equals(nodeKind) || RememberKind.NAME.equals(nodeKind);
    }

    @Override
    protected boolean isRetryable() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        remember = node.spec() instanceof RememberSpec;
        valuesTemplate = compileValue(remember ? spec(node, RememberSpec.class).values()
                : spec(node, SetSpec.class).values());
        if (valuesTemplate == null) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs values");
        }
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        Object computed = valuesTemplate.evaluate(ctx.variables());
        if (remember) {
            String lane = ctx.record().lane();
            if (lane == null) {
                throw new IllegalStateException("node '" + ctx.key() + "' remembers values in the run's lane, and run "
                        + ctx.runId() + " has none: start the run in a lane (caravan run --lane NAME)");
            }
            // written (in one update) before the node is recorded: a replay after a crash writes the same values again
            Map<String, Object> values = new LinkedHashMap<>();
            ((Map<?, ?>) computed).forEach((k, v) -> values.put(String.valueOf(k), v));
            ctx.services().lanes().remember(lane, values);
        }
        return CompletableFuture.completedFuture(new NodeResult.Completed(computed));
    }
}
