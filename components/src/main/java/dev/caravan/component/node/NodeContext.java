package dev.caravan.component.node;

import dev.caravan.run.Engine;
import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import org.apache.camel.Exchange;

import java.util.Map;

/**
 * One attempt of one node key.
 *
 * @param exchange  the exchange routing the run
 * @param runId     the run
 * @param key       the node key ({@code each[2].summarize})
 * @param scope     the prefix of keys in the enclosing map item or loop iteration ({@code each[2].}), or empty
 * @param attempt   1-based attempt number
 * @param record    the run record as read before the attempt started
 * @param variables the expression variables: input, nodes, run, lane and the scope's item/index/iteration
 */
public record NodeContext(Engine engine, Exchange exchange, String runId, String key, String scope, int attempt,
        RunRecord record, Map<String, Object> variables, java.util.Set<String> disclosedSecrets) {

    public NodeContext(Engine engine, Exchange exchange, String runId, String key, String scope, int attempt,
            RunRecord record, Map<String, Object> variables) {
        this(engine, exchange, runId, key, scope, attempt, record, variables,
                java.util.concurrent.ConcurrentHashMap.newKeySet());
    }

    /** Resolves a {@code secret:NAME} reference for a message this attempt sends, remembering it for redaction. */
    public String secret(Object reference) {
        String value = engine.secrets().resolve(reference);
        disclosedSecrets.add(value);
        return value;
    }

    /** Text with every secret this attempt disclosed replaced, for anything that is recorded or logged. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : disclosedSecrets) {
            if (!secret.isEmpty()) {
                out = out.replace(secret, "***");
            }
        }
        return out;
    }

    /** Stable across a crash and re-execution of the same attempt: {@code runId/nodeKey/attempt}. */
    public String idempotencyKey() {
        return runId + "/" + key + "/" + attempt;
    }

    /** Publishes an event in the run's sequence without changing state. */
    public void emit(String type, Object data) {
        engine.store().apply(runId, new Mutation.Emit(type, key, data));
    }

    /** The enclosing scope's variables (item, index, iteration), possibly empty. */
    public Map<String, Object> scopeVariables() {
        return RunScope.scopeVariables(exchange);
    }
}
