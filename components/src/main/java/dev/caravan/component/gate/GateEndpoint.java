package dev.caravan.component.gate;

import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.component.node.ErrorCodes;
import dev.caravan.component.node.EngineServices;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeErrorException;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.expr.Template;
import dev.caravan.run.RunTimers;
import dev.caravan.state.Mutation;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Pauses the run until a person approves or rejects it, or its timeout decides, holding no thread meanwhile.
 * <p>
 * A {@code gate} node records that it awaits approval and ends the exchange; approving or rejecting it resumes the
 * run. Its output is {@code {approved, by, comment, at}}; nodes that need a rejected gate are skipped.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-gate", title = "Caravan Gate",
             syntax = "caravan-gate:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class GateEndpoint extends NodeEndpoint {

    private RunTimers runTimers;
    private long gateTimeout;
    private String onTimeout = "reject";
    private Template messageTemplate;

    public GateEndpoint(String uri, GateComponent component, RunTimers runTimers) {
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
        return GateKind.NAME;
    }

    @Override
    protected void configure(Workflow wf, Node node) {
        GateSpec gate = spec(node, GateSpec.class);
        messageTemplate = compile(gate.message());
        gateTimeout = gate.timeout() == null ? 0 : gate.timeout().toMillis();
        if (gate.onTimeout() != null) {
            onTimeout = gate.onTimeout();
        }
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        NodeRecord before = ctx.record().node(ctx.key());
        if (before != null && before.detail() != null
            && Boolean.TRUE.equals(before.detail().get(Mutation.ExpireGate.TIMED_OUT))) {
            // its timeout said fail: it fails here, where onError and an enclosing map or loop apply
            throw new NodeErrorException(ErrorCodes.GATE_TIMEOUT, "gate " + ctx.key() + " timed out");
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("message", messageTemplate == null ? "Approve " + ctx.key() + "?"
                : String.valueOf(messageTemplate.evaluate(ctx.variables())));
        if (gateTimeout > 0) {
            detail.put("deadline", Instant.now().plusMillis(gateTimeout).toString());
            detail.put("onTimeout", onTimeout);
        }
        return CompletableFuture.completedFuture(new NodeResult.Paused(NodeStatus.AWAITING_APPROVAL, detail));
    }

    @Override
    protected void afterPause(NodeContext ctx, NodeResult.Paused paused) {
        if (gateTimeout > 0) {
            long deadline = Instant.parse((String) paused.detail().get("deadline")).toEpochMilli();
            runTimers.scheduleGateTimeout(ctx.runId(), ctx.key(), deadline, onTimeout);
        }
    }
}
