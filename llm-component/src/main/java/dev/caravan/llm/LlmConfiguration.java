package dev.caravan.llm;

import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Configurer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;

/**
 * Options of a {@code caravan-llm} endpoint. The component holds one as defaults; each endpoint gets a copy.
 */
@Configurer
@UriParams
public class LlmConfiguration implements Cloneable {

    @UriParam
    @Metadata(required = true)
    private String model;
    @UriParam
    private String fallback;
    @UriParam
    private String systemPrompt;
    @UriParam
    private Double temperature;
    @UriParam
    private Integer maxTokens;
    @UriParam(defaultValue = "60000", javaType = "java.time.Duration")
    private long timeout = 60000;
    @UriParam
    private String responseSchema;
    @UriParam
    private boolean streaming;
    @UriParam(defaultValue = "8")
    private int maxToolRounds = 8;
    @UriParam(defaultValue = "2")
    private int maxRetries = 2;
    @UriParam(defaultValue = "500", javaType = "java.time.Duration")
    private long retryInitialDelay = 500;
    @UriParam(label = "budget")
    private Long budgetMicros;
    @UriParam(label = "budget")
    private Long budgetTokens;
    @UriParam(label = "security", secret = true)
    private String apiKey;
    @UriParam(label = "provider")
    private String baseUrl;
    @UriParam(label = "scripted")
    private String scriptedReplies;
    @UriParam(label = "scripted", defaultValue = "0", javaType = "java.time.Duration")
    private long scriptedLatency;

    public String getModel() {
        return model;
    }

    /**
     * The model to call, as provider:model (for example openai:gpt-4o-mini), or scripted for the deterministic scripted
     * provider.
     */
    public void setModel(String model) {
        this.model = model;
    }

    public String getFallback() {
        return fallback;
    }

    /**
     * Comma-separated models (same format as model) tried in order when a call fails with a retryable error (rate
     * limit, overload, server error, timeout).
     */
    public void setFallback(String fallback) {
        this.fallback = fallback;
    }

    public String getSystemPrompt() {
        return systemPrompt;
    }

    /**
     * The system prompt sent before the conversation (added only when the conversation has no system message).
     */
    public void setSystemPrompt(String systemPrompt) {
        this.systemPrompt = systemPrompt;
    }

    public Double getTemperature() {
        return temperature;
    }

    /**
     * The sampling temperature; the provider's default when not set.
     */
    public void setTemperature(Double temperature) {
        this.temperature = temperature;
    }

    public Integer getMaxTokens() {
        return maxTokens;
    }

    /**
     * The maximum number of output tokens of each model call; the provider's default when not set.
     */
    public void setMaxTokens(Integer maxTokens) {
        this.maxTokens = maxTokens;
    }

    public long getTimeout() {
        return timeout;
    }

    /**
     * The time limit of each model call in milliseconds (tool calls not included); a call that takes longer fails
     * with a retryable TIMEOUT error.
     */
    public void setTimeout(long timeout) {
        this.timeout = timeout;
    }

    public String getResponseSchema() {
        return responseSchema;
    }

    /**
     * A JSON Schema (as text) the reply must follow: the reply is parsed to a Map or List and checked against it;
     * an invalid reply gets one repair round, then fails with INVALID_OUTPUT.
     */
    public void setResponseSchema(String responseSchema) {
        this.responseSchema = responseSchema;
    }

    public boolean isStreaming() {
        return streaming;
    }

    /**
     * Whether to stream the reply, telling the listener in exchange property CamelCaravanLlmListener about each text delta.
     */
    public void setStreaming(boolean streaming) {
        this.streaming = streaming;
    }

    public int getMaxToolRounds() {
        return maxToolRounds;
    }

    /**
     * The maximum number of tool-calling rounds of one exchange; the exchange fails with BUDGET when the model still
     * asks for tools after that.
     */
    public void setMaxToolRounds(int maxToolRounds) {
        this.maxToolRounds = maxToolRounds;
    }

    public int getMaxRetries() {
        return maxRetries;
    }

    /**
     * How many times a model call that failed with a retryable error (rate limit, overload, server error, timeout) is
     * tried again on the same model, with exponential backoff and jitter, before the next model of the fallback chain.
     */
    public void setMaxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
    }

    public long getRetryInitialDelay() {
        return retryInitialDelay;
    }

    /**
     * The backoff before the first retry in milliseconds; it doubles with each retry (jittered, at most 30 seconds).
     */
    public void setRetryInitialDelay(long retryInitialDelay) {
        this.retryInitialDelay = retryInitialDelay;
    }

    public Long getBudgetMicros() {
        return budgetMicros;
    }

    /**
     * The remaining cost budget of the run in integer micro-dollars: a model call whose worst case (estimated prompt
     * tokens plus maxTokens, priced for that model) exceeds what is left is refused with BUDGET before anything is
     * sent; each call of the exchange (fallbacks, tool rounds) is counted against it.
     */
    public void setBudgetMicros(Long budgetMicros) {
        this.budgetMicros = budgetMicros;
    }

    public Long getBudgetTokens() {
        return budgetTokens;
    }

    /**
     * The remaining token budget of the run (input plus output tokens): a model call whose worst case (estimated
     * prompt tokens plus maxTokens) exceeds what is left is refused with BUDGET before anything is sent.
     */
    public void setBudgetTokens(Long budgetTokens) {
        this.budgetTokens = budgetTokens;
    }

    public String getApiKey() {
        return apiKey;
    }

    /**
     * The API key of the provider of model (not of fallback models of other providers). When not set, the Camel
     * property caravan.llm.PROVIDER.api-key, then the provider's environment variable (such as OPENAI_API_KEY).
     */
    public void setApiKey(String apiKey) {
        this.apiKey = apiKey;
    }

    public String getBaseUrl() {
        return baseUrl;
    }

    /**
     * The base URL of the provider of model (for an OpenAI-compatible server, a proxy or a test stub). When not set,
     * the Camel property caravan.llm.PROVIDER.base-url, then the provider's default.
     */
    public void setBaseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public String getScriptedReplies() {
        return scriptedReplies;
    }

    /**
     * The scripted provider's replies, a JSON array of strings or objects with text, json, toolCalls or error; when
     * not set, the scripted provider echoes the last user message.
     */
    public void setScriptedReplies(String scriptedReplies) {
        this.scriptedReplies = scriptedReplies;
    }

    public long getScriptedLatency() {
        return scriptedLatency;
    }

    /**
     * How long the scripted provider waits before each reply, in milliseconds.
     */
    public void setScriptedLatency(long scriptedLatency) {
        this.scriptedLatency = scriptedLatency;
    }

    /**
     * A copy of this configuration, so that an endpoint can change its options without touching the component's.
     */
    public LlmConfiguration copy() {
        try {
            return (LlmConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }
}
