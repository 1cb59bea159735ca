package dev.caravan.component.node;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.RetryPolicy;
import dev.caravan.dsl.Workflow;
import dev.caravan.expr.Template;
import dev.caravan.run.StepServices;
import dev.caravan.run.WorkflowCatalog;
import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * A node of a workflow. The endpoint URI names only the workflow and the node ({@code caravan-agent:classify?workflow=
 * triage}); what the node does (prompts, expressions, schemas, bodies) comes from the parsed definition, found in
 * the engine's workflow catalog, so user text never passes through URI encoding or property placeholders. Subclasses
 * take their kind's part of the definition in {@link #configure} and compile its templates there, so a bad
 * expression fails when the route starts, not mid-run.
 */
public abstract class NodeEndpoint extends DefaultEndpoint implements WorkflowCatalog.WorkflowStep {

    /** Every variable a template may use; the workflow loader checks the narrower scope of each node. */
    public static final Set<String> VARIABLES = Set.of("input", "nodes", "run", "lane", "item", "index", "iteration");

    @UriPath(description = "The node id; inside a map or loop body, the path of containers and the id joined by '/'"
                           + " (each/summarize)")
    @Metadata(required = true)
    private String nodePath;
    @UriParam(description = "The workflow the node belongs to (its metadata.name); its definition is found in the"
                            + " engine's workflow catalog, deployed or loaded from caravan.workflows")
    @Metadata(required = true)
    private String workflow;
    /** Not an endpoint option: see {@link NodeComponent#RECORD_WITH_NEXT}. */
    private boolean recordWithNext;

    private StepServices services;
    private String nodeId;
    private Template whenTemplate;
    private List<String> needsList = List.of();
    private RetryPolicy retry = RetryPolicy.NONE;
    private long timeout;
    private boolean continueOnError;

    protected NodeEndpoint(String uri, Component component) {
        super(uri, component);
    }

    /** The node kind as written in workflow files. */
    public abstract String kind();

    /** Takes this kind's part of the node definition and compiles its templates; refuses a definition it cannot run. */
    protected abstract void configure(Workflow workflow, Node node) throws Exception;

    /** Executes one attempt of the node. */
    protected abstract CompletionStage<NodeResult> execute(NodeContext context);

    /** Called once the pause is recorded: gates and waits schedule their timers here. */
    protected void afterPause(NodeContext context, NodeResult.Paused paused) {
    }

    /**
     * Instant nodes compute without side effects (set): they are started and completed by one update, since running
     * one twice after a crash changes nothing.
     */
    public boolean isInstant() {
        return false;
    }

    /**
     * Whether the node acts outside the run record before its first update of it (a remember node writes lane
     * memory): updates the step before deferred are recorded first. Nodes that are not instant start with an update.
     */
    public boolean actsBeforeRecording() {
        return false;
    }

    /** Containers re-enter on replay while something inside them is pending; leaves wait for a resolution. */
    public boolean isContainer() {
        return false;
    }

    /**
     * Whether an attempt can fail and be retried, so the retry policy and timeout apply; gates, waits and containers
     * are not retried as a whole.
     */
    protected boolean isRetryable() {
        return false;
    }

    /** Whether this endpoint runs nodes of the given kind. */
    protected boolean runs(String nodeKind) {
        return kind().equals(nodeKind);
    }

    @Override
    public NodeProducer createProducer() {
        return new NodeProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("The " + getEndpointBaseUri() + " endpoint is a producer only: use it in to:");
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (workflow == null || workflow.isBlank()) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs workflow=<name>: the workflow whose node "
                    + nodePath + " it runs");
        }
        if (services == null) {
            services = EngineServices.steps(getCamelContext());
        }
        Workflow wf = services.catalog().definition(workflow);
        Node node = wf.node(nodePath);
        if (node == null) {
            throw new IllegalArgumentException(getEndpointBaseUri() + ": workflow " + workflow + " ("
                    + wf.source().file() + ") has no node " + nodePath);
        }
        if (!runs(node.kind())) {
            throw new IllegalArgumentException(getEndpointBaseUri() + ": node " + nodePath + " of workflow " + workflow
                    + " is a " + node.kind() + " node, not a " + kind() + " node");
        }
        nodeId = node.id();
        whenTemplate = compile(node.when());
        needsList = List.copyOf(node.needs());
        continueOnError = node.continueOnError();
        if (isRetryable()) {
            RetryPolicy policy = node.retry() != null ? node.retry() : wf.defaults().retry();
            retry = policy != null ? policy : RetryPolicy.NONE;
            Duration limit = node.timeout() != null ? node.timeout() : wf.defaults().timeout();
            timeout = limit == null ? 0 : limit.toMillis();
        }
        configure(wf, node);
    }

    /**
     * The error code of a failure whose type says nothing more ({@link ErrorCodes}); a kind whose work is one kind
     * of thing (calling an endpoint) names it.
     */
    protected String defaultErrorCode() {
        return ErrorCodes.ERROR;
    }

    /** {@code onError: continue}: a failure (after the retries) ends the node as failed and the run goes on. */
    public boolean isContinueOnError() {
        return continueOnError;
    }

    /** Compiles a text template; null stays null. */
    protected Template compile(String text) {
        return text == null ? null : services.expressions().compile(text, VARIABLES);
    }

    /** Compiles a template value (text, or a list or map whose strings may hold templates); null stays null. */
    protected Template compileValue(Object value) {
        return value == null ? null : services.expressions().compile(value, VARIABLES);
    }

    /** The part of the definition a node of this kind has. */
    protected static <T extends NodeSpec> T spec(Node node, Class<T> type) {
        return type.cast(node.spec());
    }

    public RetryPolicy retryPolicy() {
        return retry;
    }

    /** The time limit of one attempt in milliseconds (0: none). */
    public long getTimeout() {
        return timeout;
    }

    /** What the step uses of the engine, found when the endpoint started. */
    public StepServices services() {
        return services;
    }

    public Template whenTemplate() {
        return whenTemplate;
    }

    public List<String> needsList() {
        return needsList;
    }

    /** The node's own id (the last part of its path), which its node key ends with. */
    public String getNodeId() {
        return nodeId;
    }

    public String getNodePath() {
        return nodePath;
    }

    /** The node id; inside a map or loop body, the path of containers and the id joined by '/' (each/summarize). */
    public void setNodePath(String nodePath) {
        this.nodePath = nodePath;
    }

    public String getWorkflow() {
        return workflow;
    }

    @Override
    public String workflowName() {
        return workflow;
    }

    /** The workflow the node belongs to (its metadata.name). */
    public void setWorkflow(String workflow) {
        this.workflow = workflow;
    }

    boolean isRecordWithNext() {
        return recordWithNext;
    }

    void setRecordWithNext(boolean recordWithNext) {
        this.recordWithNext = recordWithNext;
    }

    /** Not an endpoint option: the component's, or null to find them when the endpoint starts. */
    void setStepServices(StepServices services) {
        this.services = services;
    }
}
