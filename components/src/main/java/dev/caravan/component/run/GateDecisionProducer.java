package dev.caravan.component.run;

import dev.caravan.run.RunService;
import dev.caravan.run.UnknownRunException;
import dev.caravan.state.RunRecord;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultProducer;

import java.util.Map;
import java.util.Set;

/**
 * {@code caravan-run:resolve}: approves or rejects a gate that awaits approval, from a message such as a chat button's
 * callback. The body is {@code {"runId", "node", "decision": "approve"|"reject", "comment", "by"}} (a map, or its
 * JSON), as {@code POST /api/v1/approval/resolve} takes it. The gate is resolved before the exchange goes on; the run
 * goes on on the engine's worker pool, never on the caller's thread. The reply's body and
 * {@code CamelCaravanRunId} header are the run id.
 */
final class GateDecisionProducer extends DefaultProducer {

    private static final Set<String> DECISIONS = Set.of("approve", "reject");

    private final RunEndpoint endpoint;

    GateDecisionProducer(RunEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) {
        if (!(RunEndpoint.plainInput(exchange.getMessage()) instanceof Map<?, ?> body)) {
            throw new IllegalArgumentException("caravan-run:resolve expects a JSON object such as {\"runId\": \"...\", "
                    + "\"node\": \"approve\", \"decision\": \"approve\"}");
        }
        String runId = text(body, "runId", true);
        String node = text(body, "node", true);
        String decision = text(body, "decision", true);
        if (!DECISIONS.contains(decision)) {
            throw new IllegalArgumentException("caravan-run:resolve: \"decision\" must be approve or reject, not \""
                    + decision + "\"");
        }
        String tenant = endpoint.getConfiguration().getTenant();
        RunRecord run = endpoint.stepServices().store().get(runId);
        if (run == null || (tenant != null && !tenant.equals(run.tenant()))) {
            // a run of another tenant is as unknown as a run that does not exist
            throw new UnknownRunException(runId);
        }
        String by = text(body, "by", false);
        endpoint.runService().resolveGate(runId, node, decision.equals("approve"), by == null ? tenant : by,
                text(body, "comment", false), RunService.Continuation.WORKER_POOL);
        exchange.getMessage().setBody(runId);
        exchange.getMessage().setHeader(RunConstants.RUN_ID, runId);
    }

    private static String text(Map<?, ?> body, String field, boolean required) {
        Object value = body.get(field);
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException("caravan-run:resolve needs \"" + field + "\"");
            }
            return null;
        }
        if (!(value instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("caravan-run:resolve: \"" + field + "\" must be a non-empty string");
        }
        return s;
    }
}
