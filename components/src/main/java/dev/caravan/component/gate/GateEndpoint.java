package dev.caravan.component.gate;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.expr.Template;
import dev.caravan.state.NodeStatus;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@code gate} node: records that it awaits approval and ends the exchange; the run holds no thread until
 * someone approves or rejects it (or it times out). Its output is {@code {approved, by, comment, at}}; nodes that
 * need a rejected gate are skipped.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-gate", title = "Caravan Gate", syntax = "caravan-gate:nodeId",
             category = { Category.WORKFLOW }, producerOnly = true, headersClass = NodeConstants.class)
public class GateEndpoint extends NodeEndpoint {

    @UriParam(description = "What the approver is asked; may hold $[[ expr ]] templates")
    private String message;
    @UriParam(defaultValue = "0", javaType = "java.time.Duration",
              description = "How long the gate waits for a decision (0: forever)")
    private long gateTimeout;
    @UriParam(defaultValue = "reject", enums = "approve,reject,fail", description = "The decision taken on timeout")
    private String onTimeout = "reject";

    private Template messageTemplate;

    public GateEndpoint(String uri, GateComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return "gate";
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        messageTemplate = compile(message);
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
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
            ctx.engine().runs().scheduleGateTimeout(ctx.runId(), ctx.key(), deadline, onTimeout);
        }
    }

    public String getMessage() {
        return message;
    }

    /** What the approver is asked; may hold $[[ expr ]] templates. */
    public void setMessage(String message) {
        this.message = message;
    }

    public long getGateTimeout() {
        return gateTimeout;
    }

    /** How long the gate waits for a decision (0: forever). */
    public void setGateTimeout(long gateTimeout) {
        this.gateTimeout = gateTimeout;
    }

    public String getOnTimeout() {
        return onTimeout;
    }

    /** The decision taken on timeout: approve, reject or fail. */
    public void setOnTimeout(String onTimeout) {
        if (!"approve".equals(onTimeout) && !"reject".equals(onTimeout) && !"fail".equals(onTimeout)) {
            throw new IllegalArgumentException("onTimeout must be one of approve, reject, fail but was " + onTimeout);
        }
        this.onTimeout = onTimeout;
    }
}
