package dev.caravan.component.loop;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.component.node.RunScope;
import dev.caravan.component.node.ScopedBody;
import dev.caravan.expr.Template;
import dev.caravan.run.WorkflowRoutes;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;



import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs the nodes of a loop body again and again, until a condition holds or a maximum number of iterations ran.
 * <p>
 * A {@code loop} node runs its body route for iteration 0, 1, ... until {@code until} holds after an iteration or
 * {@code max} iterations ran. Iteration k's node keys are {@code <id>[k].<sub-node>}. The output is the last
 * iteration's output.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-loop", title = "Caravan Loop",
             syntax = "caravan-loop:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class LoopEndpoint extends NodeEndpoint {

    private int max;
    private Template untilTemplate;
    private Template outputTemplate;
    private ScopedBody scopedBody;
    private List<String> bodyNodes = List.of();

    public LoopEndpoint(String uri, LoopComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return LoopKind.NAME;
    }

    @Override
    public boolean isContainer() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) throws Exception {
        LoopSpec loop = spec(node, LoopSpec.class);
        if (loop.max() < 1) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs max >= 1");
        }
        max = loop.max();
        untilTemplate = compile(loop.until());
        outputTemplate = compileValue(loop.output());
        bodyNodes = loop.nodes().stream().map(Node::id).toList();
        scopedBody = new ScopedBody(getCamelContext(), WorkflowRoutes.bodyRouteUri(wf.name(), getNodePath()), null,
                isContinueOnError());
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
            RunRecord record = ctx.services().store().get(ctx.runId());
            if (record.status().isTerminal()) {
                return CompletableFuture.completedFuture(new NodeResult.Paused(NodeStatus.WAITING, Map.of()));
            }
            NodeStatus pending = RunScope.pendingUnder(record, scope);
            if (pending != null) {
                return CompletableFuture.completedFuture(new NodeResult.Paused(pending, Map.of("iteration", k)));
            }
            Map<String, Object> vars = RunScope.variables(ctx.services(), record, scope, scopeVars);
            boolean done = untilTemplate != null && untilTemplate.evaluateBoolean(vars);
            if (done || k + 1 >= max) {
                Object out = outputTemplate != null ? outputTemplate.evaluate(vars) : RunScope.outputsOf(vars, bodyNodes);
                return CompletableFuture.completedFuture(new NodeResult.Completed(out, 0, 0,
                        Map.of("iterations", k + 1, "conditionMet", done)));
            }
            return iteration(ctx, k + 1);
        });
    }
}
