package dev.caravan.component.agent;

import java.util.List;
import java.util.Map;

import dev.caravan.dsl.NodeSpec;

/**
 * An {@code agent} node: an LLM call with optional tools and structured output.
 *
 * @param model         provider:model; from {@code spec.defaults.model}, or {@code scripted} with a script, when unset
 * @param fallback      models tried in order when the model fails
 * @param system        the system message template, or null
 * @param prompt        the prompt template
 * @param output        the JSON Schema of a structured reply, or null
 * @param tools         names from {@code spec.tools}
 * @param maxTokens     the most tokens of a reply, or null
 * @param temperature   the sampling temperature, or null
 * @param maxToolRounds the most rounds of tool calls, or null
 * @param scripted      the replies of the scripted model, or null
 */
public record AgentSpec(String model, List<String> fallback, String system, String prompt, Map<String, Object> output,
        List<String> tools, Integer maxTokens, Double temperature, Integer maxToolRounds, Scripted scripted)
        implements NodeSpec {

    @Override
    public String kind() {
        return AgentKind.NAME;
    }

    /**
     * Replies of the {@code scripted} provider ({@code agent.scripted}). Each reply is a string, or a map with
     * {@code text}, {@code json}, {@code toolCalls: [{name, arguments}]} or {@code error: {type, message}}.
     */
    public record Scripted(List<Object> replies, Long latencyMs) {
    }
}
