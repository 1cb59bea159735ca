package dev.caravan.llm;

import org.apache.camel.spi.Metadata;

/**
 * Header and exchange property names of the {@code caravan-llm} component. Headers describe the call that produced
 * the reply; run-internal inputs (tools, listener, script offset) are exchange properties, because untrusted input can
 * carry headers in. Every name starts with {@code CamelCaravan} (as camel-langchain4j's start with
 * {@code CamelLangChain4j}): the header filter strategies of Camel's HTTP and Kafka components drop inbound
 * {@code Camel*} headers, so a webhook or a record cannot set them.
 */
public final class LlmConstants {

    /** The prefix of this component's own names: its properties are not copied onto tool exchanges. */
    public static final String PREFIX = "CamelCaravanLlm";

    /** The only operation so far. */
    public static final String OPERATION_CHAT = "chat";

    @Metadata(label = "producer", description = "The provider that produced the reply, such as `scripted` or `openai`.",
              javaType = "String")
    public static final String PROVIDER = "CamelCaravanLlmProvider";

    @Metadata(label = "producer", description = "The model that produced the reply (the part after `provider:`).",
              javaType = "String")
    public static final String MODEL = "CamelCaravanLlmModel";

    @Metadata(label = "producer", description = "Input tokens used by all model calls of this exchange.",
              javaType = "Long")
    public static final String INPUT_TOKENS = "CamelCaravanLlmInputTokens";

    @Metadata(label = "producer", description = "Output tokens used by all model calls of this exchange.",
              javaType = "Long")
    public static final String OUTPUT_TOKENS = "CamelCaravanLlmOutputTokens";

    @Metadata(label = "producer",
              description = "Cost of all model calls of this exchange in integer micro-dollars (scripted costs 0).",
              javaType = "Long")
    public static final String COST_MICROS = "CamelCaravanLlmCostMicros";

    @Metadata(label = "producer", description = "Wall-clock time of the whole exchange in milliseconds, tool calls included.",
              javaType = "Long")
    public static final String LATENCY_MILLIS = "CamelCaravanLlmLatencyMillis";

    @Metadata(label = "producer",
              description = "Why the model stopped: `STOP`, `LENGTH`, `TOOL_EXECUTION`, `CONTENT_FILTER` or `OTHER`.",
              javaType = "String")
    public static final String FINISH_REASON = "CamelCaravanLlmFinishReason";

    @Metadata(label = "producer",
              description = "How many model calls were made, retries and fallbacks included (a call refused by an open"
                            + " circuit breaker is not one); 1 when the first call answered.",
              javaType = "Integer")
    public static final String ATTEMPTS = "CamelCaravanLlmAttempts";

    @Metadata(label = "producer",
              description = "How many times the call moved on to the next model of the fallback chain; 0 when the model"
                            + " itself answered (or failed without a fallback).",
              javaType = "Integer")
    public static final String FALLBACKS = "CamelCaravanLlmFallbacks";

    @Metadata(label = "producer",
              description = "Milliseconds from the start of the exchange to the first streamed token of the reply (streaming"
                            + " only; deltas of a call that failed midway do not count).",
              javaType = "Long")
    public static final String TIME_TO_FIRST_TOKEN_MILLIS = "CamelCaravanLlmTimeToFirstTokenMillis";

    @Metadata(label = "producer",
              description = "The remaining cost budget in integer micro-dollars for this call (also read as an exchange"
                            + " property of the same name); the smallest of it, the property and the budgetMicros option"
                            + " applies.",
              javaType = "Long")
    public static final String BUDGET_MICROS = "CamelCaravanLlmBudgetMicros";

    @Metadata(label = "producer",
              description = "The remaining token budget (input plus output) for this call (also read as an exchange"
                            + " property of the same name); the smallest of it, the property and the budgetTokens option"
                            + " applies.",
              javaType = "Long")
    public static final String BUDGET_TOKENS = "CamelCaravanLlmBudgetTokens";

    /** The output tokens a budget check assumes for a call when the endpoint has no maxTokens. */
    public static final int DEFAULT_BUDGET_MAX_TOKENS = 4096;

    @Metadata(label = "tool", description = "Set on the exchange sent to a tool endpoint: the tool name.",
              javaType = "String")
    public static final String TOOL_NAME = "CamelCaravanToolName";

    @Metadata(label = "tool", description = "Set on the exchange sent to a tool endpoint: the model's tool call id.",
              javaType = "String")
    public static final String TOOL_CALL_ID = "CamelCaravanToolCallId";

    @Metadata(description = "In: the idempotency key of the calling node attempt (the engine sets it). Set on the "
                            + "exchange sent to a tool endpoint: that key plus /tool/<round>.<position>, also as "
                            + "the Idempotency-Key header for HTTP tools.", javaType = "String")
    public static final String IDEMPOTENCY_KEY = "CamelCaravanIdempotencyKey";

    @Metadata(description = "In: the system prompt of this call, over the systemPrompt option: a prompt stays out of "
                            + "the endpoint URI. Camel's HTTP and Kafka consumers drop inbound Camel* headers, so only "
                            + "the route sets it.", javaType = "String")
    public static final String SYSTEM_PROMPT = "CamelCaravanLlmSystemPrompt";

    @Metadata(description = "In: the JSON Schema the reply must match, over the responseSchema option (a schema "
                            + "stays out of the endpoint URI); the reply is then parsed to a Map or List.",
              javaType = "String")
    public static final String RESPONSE_SCHEMA = "CamelCaravanLlmResponseSchema";

    /** Exchange property: the tools offered to the model, a {@code List<LlmTool>}. */
    public static final String TOOLS_PROPERTY = "CamelCaravanLlmTools";

    /** Exchange property: an {@link LlmListener} told about deltas, tool calls and tool results. */
    public static final String LISTENER_PROPERTY = "CamelCaravanLlmListener";

    /** Exchange property: an {@code Integer} added to the scripted provider's reply index (default 0). */
    public static final String SCRIPT_OFFSET_PROPERTY = "CamelCaravanLlmScriptOffset";

    private LlmConstants() {
    }
}
