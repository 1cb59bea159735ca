package dev.caravan.component.workflow;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.component.node.EngineServices;
import dev.caravan.component.node.ErrorCodes;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeErrorException;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.expr.Template;
import dev.caravan.run.RunExecutor;
import dev.caravan.run.RunQueries;
import dev.caravan.run.RunService;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs another workflow as a child run and records the child's output as the node's output.
 * <p>
 * A {@code workflow} node's child run has the id {@code <runId>:<nodeKey>}, so replay finds the same child. A
 * paused child pauses this node, and the child's end resumes the parent.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-workflow", title = "Caravan Sub-workflow",
             syntax = "caravan-workflow:nodePath", category = { Category.WORKFLOW }, producerOnly = true,
             remote = false, headersClass = NodeConstants.class)
public class WorkflowEndpoint extends NodeEndpoint {

    private RunService runService;
    private RunQueries runQueries;
    private RunExecutor runExecutor;
    private String childWorkflow;
    private Template inputTemplate;

    public WorkflowEndpoint(String uri, WorkflowComponent component, RunService runService, RunQueries runQueries,
            RunExecutor runExecutor) {
        super(uri, component);
        this.runService = runService;
        this.runQueries = runQueries;
        this.runExecutor = runExecutor;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (runService == null) {
            runService = EngineServices.runService(getCamelContext());
        }
        if (runQueries == null) {
            runQueries = EngineServices.runQueries(getCamelContext());
        }
        if (runExecutor == null) {
            runExecutor = EngineServices.runExecutor(getCamelContext());
        }
    }

    @Override
    public String kind() {
        return WorkflowKind.NAME;
    }

    @Override
    public boolean isContainer() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        WorkflowSpec sub = spec(node, WorkflowSpec.class);
        if (sub.name() == null || sub.name().isBlank()) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs a workflow name");
        }
        childWorkflow = sub.name();
        inputTemplate = compileValue(sub.input());
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        String childId = ctx.runId() + ":" + ctx.key();
        RunRecord child = runQueries.get(childId);
        if (child == null) {
            Object in = inputTemplate == null ? ctx.services().values().resolve(ctx.record().input())
                    : inputTemplate.evaluate(ctx.variables());
            // the child carries its parent's correlation id and trace: a caller follows one id across both
            runService.create(new RunService.StartRequest(childWorkflow, in, ctx.record().tenant(), ctx.record().lane(),
                    childId, ctx.runId(), ctx.key(), ctx.record().correlationId(), ctx.record().traceId()));
        }
        CompletableFuture<RunRecord> done = child != null && child.status().isTerminal()
                ? CompletableFuture.completedFuture(child) : runExecutor.execute(childId);
        return done.thenApply(c -> outcome(childId, c));
    }

    private static NodeResult outcome(String childId, RunRecord c) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("childRunId", childId);
        if (c.status() == RunStatus.COMPLETED) {
            return new NodeResult.Completed(c.output(), c.costMicros(), c.tokens(), detail);
        }
        if (c.status() == RunStatus.FAILED || c.status() == RunStatus.CANCELLED) {
            throw new NodeErrorException(ErrorCodes.CHILD_FAILED, "Sub-workflow run " + childId + " "
                    + c.status().label() + (c.error() == null ? "" : ": " + c.error()));
        }
        NodeStatus status = c.status() == RunStatus.AWAITING_APPROVAL ? NodeStatus.AWAITING_APPROVAL : NodeStatus.WAITING;
        return new NodeResult.Paused(status, detail);
    }
}
