package dev.caravan.component.node;

import dev.caravan.dsl.RetryPolicy;
import dev.caravan.expr.Template;
import dev.caravan.run.Engine;
import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Options every node endpoint has: its id, the nodes it needs, its condition, retry policy and timeout. Subclasses
 * add what their kind needs and compile their templates in {@link #doStart()}, so a bad expression fails when the
 * route starts, not mid-run.
 */
public abstract class NodeEndpoint extends DefaultEndpoint {

    /** Every variable a template may use; the workflow loader checks the narrower scope of each node. */
    public static final Set<String> VARIABLES = Set.of("input", "nodes", "run", "lane", "item", "index", "iteration");

    @UriPath(description = "The node id, unique within its workflow (or within its map/loop body)")
    @Metadata(required = true)
    private String nodeId;
    @UriParam(description = "Comma-separated ids of the nodes that must finish before this one")
    private String needs;
    @UriParam(description = "A condition template ($[[ expr ]]); when it is false the node is skipped")
    private String when;
    @UriParam(defaultValue = "1", description = "Attempts in all, including the first")
    private int maxAttempts = 1;
    @UriParam(defaultValue = "fixed", enums = "fixed,exponential", description = "Delay growth between attempts")
    private String backoff = "fixed";
    @UriParam(defaultValue = "0", javaType = "java.time.Duration", description = "Delay before the second attempt")
    private long initialDelay;
    @UriParam(defaultValue = "0", javaType = "java.time.Duration", description = "Upper bound of a retry delay (0: none)")
    private long maxDelay;
    @UriParam(defaultValue = "0", javaType = "java.time.Duration", description = "Time limit of one attempt (0: none)")
    private long timeout;
    @UriParam(label = "advanced", defaultValue = "false",
              description = "Record the node's outcome with the next step's update of the run (one round trip to the"
                            + " store instead of two). Only where the next step on the same exchange follows at once"
                            + " and is a caravan node or caravan-run:end; the workflow compiler sets it there.")
    private boolean recordWithNext;

    private Engine engine;
    private Template whenTemplate;
    private List<String> needsList = List.of();

    protected NodeEndpoint(String uri, Component component) {
        super(uri, component);
    }

    /** The node kind as written in workflow files. */
    public abstract String kind();

    /** Executes one attempt of the node. */
    protected abstract java.util.concurrent.CompletionStage<NodeResult> execute(NodeContext context);

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
        if (engine == null) {
            engine = Engine.of(getCamelContext());
        }
        whenTemplate = when == null || when.isBlank() ? null : compile(when);
        needsList = needs == null || needs.isBlank() ? List.of()
                : Arrays.stream(needs.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** Compiles a text template given in the URI form; null stays null. */
    protected Template compile(String text) {
        return text == null ? null : engine.expressions().compile(UriTemplates.decode(text), VARIABLES);
    }

    /**
     * Compiles a template value given as a URI parameter: a JSON object or array (whose strings may hold
     * templates) is structured, anything else is a text template; null stays null.
     */
    protected Template compileValue(String param) {
        return param == null ? null : engine.expressions().compile(UriTemplates.value(param), VARIABLES);
    }

    public RetryPolicy retryPolicy() {
        return new RetryPolicy(Math.max(1, maxAttempts), backoff, Duration.ofMillis(initialDelay), Duration.ofMillis(maxDelay));
    }

    public Engine engine() {
        return engine;
    }

    public Template whenTemplate() {
        return whenTemplate;
    }

    public List<String> needsList() {
        return needsList;
    }

    public String getNodeId() {
        return nodeId;
    }

    /** The node id, unique within its workflow (or within its map/loop body). */
    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public String getNeeds() {
        return needs;
    }

    /** Comma-separated ids of the nodes that must finish before this one. */
    public void setNeeds(String needs) {
        this.needs = needs;
    }

    public String getWhen() {
        return when;
    }

    /** A condition template ($[[ expr ]]); when it is false the node is skipped. */
    public void setWhen(String when) {
        this.when = when;
    }

    public int getMaxAttempts() {
        return maxAttempts;
    }

    /** Attempts in all, including the first. */
    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public String getBackoff() {
        return backoff;
    }

    /** Delay growth between attempts: fixed or exponential. */
    public void setBackoff(String backoff) {
        if (!"fixed".equals(backoff) && !"exponential".equals(backoff)) {
            throw new IllegalArgumentException("backoff must be one of fixed, exponential but was " + backoff);
        }
        this.backoff = backoff;
    }

    public long getInitialDelay() {
        return initialDelay;
    }

    /** Delay before the second attempt. */
    public void setInitialDelay(long initialDelay) {
        this.initialDelay = initialDelay;
    }

    public long getMaxDelay() {
        return maxDelay;
    }

    /** Upper bound of a retry delay (0: none). */
    public void setMaxDelay(long maxDelay) {
        this.maxDelay = maxDelay;
    }

    public long getTimeout() {
        return timeout;
    }

    /** Time limit of one attempt (0: none). */
    public void setTimeout(long timeout) {
        this.timeout = timeout;
    }

    public boolean isRecordWithNext() {
        return recordWithNext;
    }

    /**
     * Record the node's outcome with the next step's update of the run (one round trip to the store instead of two).
     * Only where the next step on the same exchange follows at once and is a caravan node or caravan-run:end; the
     * workflow compiler sets it there.
     */
    public void setRecordWithNext(boolean recordWithNext) {
        this.recordWithNext = recordWithNext;
    }

    public Engine getEngine() {
        return engine;
    }

    /** The Caravan engine (run store, expressions, scheduler); created embedded when none is bound. */
    public void setEngine(Engine engine) {
        this.engine = engine;
    }
}
