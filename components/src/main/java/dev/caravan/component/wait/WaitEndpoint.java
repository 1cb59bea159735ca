package dev.caravan.component.wait;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.Durations;
import dev.caravan.component.node.EngineServices;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.expr.Template;
import dev.caravan.run.RunTimers;
import dev.caravan.state.NodeStatus;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Pauses the run for a duration or until a point in time, holding no thread meanwhile.
 * <p>
 * A {@code wait} node whose time has come completes at once; otherwise it pauses the run and schedules a timer that
 * resumes it.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-wait", title = "Caravan Wait",
             syntax = "caravan-wait:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class WaitEndpoint extends NodeEndpoint {

    private RunTimers runTimers;
    private Template durationTemplate;
    private Template untilTemplate;

    public WaitEndpoint(String uri, WaitComponent component, RunTimers runTimers) {
        super(uri, component);
        this.runTimers = runTimers;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (runTimers == null) {
            runTimers = EngineServices.runTimers(getCamelContext());
        }
    }

    @Override
    public String kind() {
        return WaitKind.NAME;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        WaitSpec wait = spec(node, WaitSpec.class);
        if ((wait.duration() == null) == (wait.until() == null)) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs exactly one of duration, until");
        }
        durationTemplate = compile(wait.duration());
        untilTemplate = compile(wait.until());
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        long now = System.currentTimeMillis();
        long dueAt;
        if (durationTemplate != null) {
            Object d = durationTemplate.evaluate(ctx.variables());
            dueAt = now + (d instanceof Number n ? n.longValue() : Durations.parse(String.valueOf(d)).toMillis());
        } else {
            dueAt = OffsetDateTime.parse(String.valueOf(untilTemplate.evaluate(ctx.variables()))).toInstant().toEpochMilli();
        }
        if (dueAt <= now) {
            return CompletableFuture.completedFuture(
                    new NodeResult.Completed(Map.of("waitedUntil", Instant.ofEpochMilli(now).toString())));
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("until", Instant.ofEpochMilli(dueAt).toString());
        return CompletableFuture.completedFuture(new NodeResult.Paused(NodeStatus.WAITING, detail));
    }

    @Override
    protected void afterPause(NodeContext ctx, NodeResult.Paused paused) {
        long dueAt = Instant.parse((String) paused.detail().get("until")).toEpochMilli();
        runTimers.scheduleWake(ctx.runId(), ctx.key(), dueAt);
    }
}
