package dev.caravan.dsl;

import java.util.List;
import java.util.Map;

/**
 * What a node does. Values typed {@code Object} are templates: plain YAML values (string, number, boolean, list,
 * map) in which strings may contain {@code ${{ }}} CEL expressions.
 */
public sealed interface NodeSpec {

    String kind();

    /** An LLM call with optional tools and structured output. */
    record Agent(String model, List<String> fallback, String system, String prompt, Map<String, Object> output,
            List<String> tools, Integer maxTokens, Double temperature, Integer maxToolRounds, Scripted scripted)
            implements NodeSpec {
        public String kind() {
            return "agent";
        }
    }

    /**
     * Replies of the {@code scripted} provider. Each reply is a string, or a map with {@code text}, {@code json},
     * {@code toolCalls: [{name, arguments}]} or {@code error: {type, message}}.
     */
    record Scripted(List<Object> replies, Long latencyMs) {
    }

    /** Sends to any Camel endpoint; the output is the reply body. */
    record Call(String uri, Object body, Map<String, Object> headers) implements NodeSpec {
        public String kind() {
            return "call";
        }
    }

    /** Computes values; the output is the map of computed values. */
    record Compute(Map<String, Object> values) implements NodeSpec {
        public String kind() {
            return "set";
        }
    }

    /**
     * Computes values and stores each in the memory of the run's lane (conversation history, preferences): later
     * runs of the lane read them as {@code lane.memory.<name>}. The output is the map of stored values.
     */
    record Remember(Map<String, Object> values) implements NodeSpec {
        public String kind() {
            return "remember";
        }
    }

    /** Human approval. {@code onTimeout} is {@code approve}, {@code reject} or {@code fail}. */
    record Gate(String message, java.time.Duration timeout, String onTimeout) implements NodeSpec {
        public String kind() {
            return "gate";
        }
    }

    /** Runs a sub-DAG once per item. */
    record ForEach(Object items, int concurrency, List<Node> nodes, Object output) implements NodeSpec {
        public String kind() {
            return "map";
        }
    }

    /** Repeats a sub-DAG until a condition holds or {@code max} iterations ran. */
    record Loop(int max, String until, List<Node> nodes, Object output) implements NodeSpec {
        public String kind() {
            return "loop";
        }
    }

    /** Runs another workflow (by {@code metadata.name}) as a child run. */
    record SubWorkflow(String name, Object input) implements NodeSpec {
        public String kind() {
            return "workflow";
        }
    }

    /** Waits for a duration or until a timestamp; holds no thread. Exactly one of the two is set. */
    record Wait(String duration, String until) implements NodeSpec {
        public String kind() {
            return "wait";
        }
    }

    /** Publishes an event of a user type. */
    record Emit(String type, Object data) implements NodeSpec {
        public String kind() {
            return "emit";
        }
    }

    /**
     * Ends the run as failed with a message and a stable error code (both templates); a guard rail, usually with
     * {@code when}. A null code is {@code FAILED}.
     */
    record Fail(String message, String code) implements NodeSpec {
        public String kind() {
            return "fail";
        }
    }
}
