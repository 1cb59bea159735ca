package dev.caravan.component.loop;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.component.node.RunScope;
import dev.caravan.component.node.ScopedBody;
import dev.caravan.expr.Template;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import org.apache.camel.Category;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;



import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@code loop} node: runs its body route for iteration 0, 1, ... until {@code until} holds after an iteration
 * or {@code max} iterations ran. Iteration k's node keys are {@code <id>[k].<sub-node>}. The output is the last
 * iteration's output.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-loop", title = "Caravan Loop", syntax = "caravan-loop:nodeId",
             category = { Category.WORKFLOW }, producerOnly = true, headersClass = NodeConstants.class)
public class LoopEndpoint extends NodeEndpoint {

    @UriParam(description = "The most iterations to run")
    @Metadata(required = true)
    private int max;
    @UriParam(description = "A condition template over the iteration's nodes, checked after each iteration")
    private String until;
    @UriParam(description = "The output: a template over the last iteration's nodes; default the map of their outputs")
    private String output;
    @UriParam(description = "Comma-separated ids of the body's nodes")
    private String nodes;
    @UriParam(description = "The body route, e.g. direct:caravan-workflow-x-refine")
    @Metadata(required = true)
    private String body;

    private Template untilTemplate;
    private Template outputTemplate;
    private ScopedBody scopedBody;

    public LoopEndpoint(String uri, LoopComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return "loop";
    }

    @Override
    public boolean isContainer() {
        return true;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (max < 1 || body == null) {
            throw new IllegalArgumentException("caravan-loop:" + getNodeId() + " needs max >= 1 and a body");
        }
        untilTemplate = compile(until);
        outputTemplate = compileValue(output);
        scopedBody = new ScopedBody(getCamelContext(), body, null);
    }

    @Override
    protected void doStop() throws Exception {
        if (scopedBody != null) {
            scopedBody.stop();
        }
        super.doStop();
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        return iteration(ctx, 0);
    }

    private CompletableFuture<NodeResult> iteration(NodeContext ctx, int k) {
        String scope = ctx.key() + "[" + k + "].";
        Map<String, Object> scopeVars = Map.of("iteration", (long) k);
        return scopedBody.run(ctx, scope, scopeVars).thenCompose(v -> {
            RunRecord record = ctx.engine().store().get(ctx.runId());
            if (record.status().isTerminal()) {
                return CompletableFuture.completedFuture(new NodeResult.Paused(NodeStatus.WAITING, Map.of()));
            }
            NodeStatus pending = RunScope.pendingUnder(record, scope);
            if (pending != null) {
                return CompletableFuture.completedFuture(new NodeResult.Paused(pending, Map.of("iteration", k)));
            }
            Map<String, Object> vars = RunScope.variables(record, scope, scopeVars, ctx.engine().values());
            boolean done = untilTemplate != null && untilTemplate.evaluateBoolean(vars);
            if (done || k + 1 >= max) {
                Object out = outputTemplate != null ? outputTemplate.evaluate(vars) : RunScope.outputsOf(vars, nodes);
                return CompletableFuture.completedFuture(new NodeResult.Completed(out, 0, 0,
                        Map.of("iterations", k + 1, "conditionMet", done)));
            }
            return iteration(ctx, k + 1);
        });
    }


    public int getMax() {
        return max;
    }

    /** The most iterations to run. */
    public void setMax(int max) {
        this.max = max;
    }

    public String getUntil() {
        return until;
    }

    /** A condition template over the iteration's nodes, checked after each iteration. */
    public void setUntil(String until) {
        this.until = until;
    }

    public String getOutput() {
        return output;
    }

    /** The output: a template over the last iteration's nodes; default the map of their outputs. */
    public void setOutput(String output) {
        this.output = output;
    }

    public String getNodes() {
        return nodes;
    }

    /** Comma-separated ids of the body's nodes. */
    public void setNodes(String nodes) {
        this.nodes = nodes;
    }

    public String getBody() {
        return body;
    }

    /** The body route, e.g. direct:caravan-workflow-x-refine. */
    public void setBody(String body) {
        this.body = body;
    }
}
