package dev.caravan.component.node;

import dev.caravan.run.StepServices;
import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import dev.caravan.support.Credentials;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One attempt of one node key.
 *
 * @param services  what the step uses of the engine
 * @param exchange  the exchange routing the run
 * @param runId     the run
 * @param key       the node key ({@code each[2].summarize})
 * @param scope     the prefix of keys in the enclosing map item or loop iteration ({@code each[2].}), or empty
 * @param attempt   1-based attempt number
 * @param record    the run record as read before the attempt started
 * @param variables the expression variables: input, nodes, run, lane and the scope's item/index/iteration
 */
public record NodeContext(StepServices services, Exchange exchange, String runId, String key, String scope, int attempt,
        RunRecord record, Map<String, Object> variables, Set<String> disclosedSecrets) {

    public NodeContext(StepServices services, Exchange exchange, String runId, String key, String scope, int attempt,
            RunRecord record, Map<String, Object> variables) {
        this(services, exchange, runId, key, scope, attempt, record, variables,
                ConcurrentHashMap.newKeySet());
    }

    /** Resolves a {@code secret:NAME} reference for a message this attempt sends, remembering it for redaction. */
    public String secret(Object reference) {
        String value = services.secrets().resolve(reference);
        if (!value.isEmpty()) {
            disclosedSecrets.add(value);
        }
        return value;
    }

    /**
     * Remembers for redaction the credentials among message headers this attempt sends or receives (Authorization,
     * API keys, tokens, cookies): an endpoint that echoes them must not put them into the record.
     */
    public void discloseCredentials(Map<String, Object> headers) {
        Credentials.find(headers, disclosedSecrets::add);
    }

    /** Text with every secret this attempt disclosed replaced, for anything that is recorded or logged. */
    public String redact(String text) {
        return disclosedSecrets.isEmpty() ? text : Credentials.redact(text, disclosedSecrets);
    }

    /**
     * A value (a node's output, an event's data) with every secret this attempt disclosed replaced in its texts and
     * keys, for anything that is recorded; the value itself when it quotes none.
     */
    public Object redactValue(Object value) {
        return disclosedSecrets.isEmpty() ? value : redactIn(value);
    }

    private Object redactIn(Object value) {
        if (value instanceof String s) {
            return redact(s);
        }
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> out = null;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object k = redactIn(e.getKey());
                Object v = redactIn(e.getValue());
                if (out == null && (k != e.getKey() || v != e.getValue())) {
                    // the first change: copy what came before it, then go on copying
                    out = new LinkedHashMap<>();
                    for (Map.Entry<?, ?> before : m.entrySet()) {
                        if (before == e) {
                            break;
                        }
                        out.put(before.getKey(), before.getValue());
                    }
                }
                if (out != null) {
                    out.put(k, v);
                }
            }
            return out != null ? out : value;
        }
        if (value instanceof List<?> l) {
            List<Object> out = null;
            for (int i = 0; i < l.size(); i++) {
                Object item = l.get(i);
                Object r = redactIn(item);
                if (out == null && r != item) {
                    out = new ArrayList<>(l.subList(0, i));
                }
                if (out != null) {
                    out.add(r);
                }
            }
            return out != null ? out : value;
        }
        return value;
    }

    /** Stable across a crash and re-execution of the same attempt: {@code runId/nodeKey/attempt}. */
    public String idempotencyKey() {
        return runId + "/" + key + "/" + attempt;
    }

    /** Publishes an event in the run's sequence without changing state. */
    public void emit(String type, Object data) {
        services.store().apply(runId, new Mutation.Emit(type, key, redactValue(data)));
    }

    /** The enclosing scope's variables (item, index, iteration), possibly empty. */
    public Map<String, Object> scopeVariables() {
        return RunScope.scopeVariables(exchange);
    }
}
