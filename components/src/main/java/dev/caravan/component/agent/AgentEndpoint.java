package dev.caravan.component.agent;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.event.EventTypes;
import dev.caravan.expr.Template;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmException;
import dev.caravan.state.RunRecord;
import dev.caravan.llm.LlmListener;
import dev.caravan.llm.LlmTool;
import dev.caravan.state.Json;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Category;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.util.URISupport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An {@code agent} node: renders its prompt, calls the model through the {@code caravan-llm:} component (with
 * tools, structured output and fallback) and records the reply, its tokens and cost. Streamed deltas and tool
 * calls become run events.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-agent", title = "Caravan Agent", syntax = "caravan-agent:nodeId",
             category = { Category.AI }, producerOnly = true, headersClass = NodeConstants.class)
public class AgentEndpoint extends NodeEndpoint {

    @UriParam(defaultValue = "scripted", description = "The model, provider:model (e.g. openai:gpt-4o-mini) or scripted")
    private String model = "scripted";
    @UriParam(description = "Comma-separated models to try, in order, when the model fails with a retryable error")
    private String fallback;
    @UriParam(description = "The system prompt; may hold $[[ expr ]] templates")
    private String system;
    @UriParam(description = "The prompt; may hold $[[ expr ]] templates")
    @Metadata(required = true)
    private String prompt;
    @UriParam(description = "A JSON Schema the reply must match; the output is then the parsed JSON")
    private String outputSchema;
    @UriParam(description = "Tools the model may call: a JSON array of {name, description, parameters, uri}")
    private String tools;
    @UriParam(description = "Upper bound of output tokens")
    private Integer maxTokens;
    @UriParam(description = "Sampling temperature")
    private Double temperature;
    @UriParam(description = "Upper bound of tool-calling rounds")
    private Integer maxToolRounds;
    @UriParam(defaultValue = "true", description = "Whether to stream the reply, publishing output deltas as events")
    private boolean streaming = true;
    @UriParam(label = "budget", description = "The run's token budget: no call starts once the run used this many")
    private Long budgetTokens;
    @UriParam(label = "budget", description = "The run's budget in micro-dollars: no call starts once the run spent it")
    private Long budgetMicros;
    @UriParam(label = "scripted", description = "Replies of the scripted model: a JSON array")
    private String scriptedReplies;
    @UriParam(label = "scripted", description = "Simulated latency of the scripted model, in milliseconds")
    private Long scriptedLatency;

    private Template systemTemplate;
    private Template promptTemplate;
    private List<LlmTool> toolList = List.of();
    private AsyncProducer llm;

    public AgentEndpoint(String uri, AgentComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return "agent";
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (prompt == null) {
            throw new IllegalArgumentException("caravan-agent:" + getNodeId() + " needs a prompt");
        }
        systemTemplate = compile(system);
        promptTemplate = compile(prompt);
        if (tools != null && !tools.isBlank()) {
            List<LlmTool> list = new ArrayList<>();
            for (Object t : (List<?>) Json.parse(tools)) {
                Map<?, ?> m = (Map<?, ?>) t;
                list.add(new LlmTool((String) m.get("name"), (String) m.get("description"),
                        m.get("parameters") == null ? null : Json.write(m.get("parameters")), (String) m.get("uri")));
            }
            toolList = List.copyOf(list);
        }
        llm = getCamelContext().getEndpoint(llmUri()).createAsyncProducer();
        llm.start();
    }

    @Override
    protected void doStop() throws Exception {
        if (llm != null) {
            llm.stop();
        }
        super.doStop();
    }

    /**
     * The Camel property naming the model (provider:model) that agents whose model is {@code scripted} use instead,
     * so workflows written as scripted demos run against a real provider.
     */
    public static final String SCRIPTED_MODEL_PROPERTY = "caravan.agent.scripted-model";

    private String llmUri() throws Exception {
        Map<String, Object> p = new LinkedHashMap<>();
        // agents written for the scripted model run on a real one when the host says so (caravan run --model)
        String replacement = "scripted".equals(model) ? getCamelContext().getPropertiesComponent()
                .resolveProperty(SCRIPTED_MODEL_PROPERTY).filter(m -> !m.isBlank()).orElse(null) : null;
        p.put("model", replacement != null ? replacement : model);
        put(p, "fallback", fallback);
        put(p, "responseSchema", outputSchema);
        put(p, "maxTokens", maxTokens);
        put(p, "temperature", temperature);
        put(p, "maxToolRounds", maxToolRounds);
        p.put("streaming", streaming);
        if (replacement == null) {
            put(p, "scriptedReplies", scriptedReplies == null ? null : "RAW(" + scriptedReplies + ")");
            put(p, "scriptedLatency", scriptedLatency);
        }
        return "caravan-llm:chat?" + URISupport.createQueryString(p);
    }

    private static void put(Map<String, Object> p, String key, Object value) {
        if (value != null) {
            p.put(key, value);
        }
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        // the budget is checked against the run's totals as they are now, not as this exchange last saw them
        RunRecord run = budgetTokens == null && budgetMicros == null ? ctx.record() : ctx.engine().store().get(ctx.runId());
        if (budgetTokens != null && run.tokens() >= budgetTokens) {
            throw new LlmException(LlmException.Kind.BUDGET, "the run used " + run.tokens() + " of its "
                    + budgetTokens + " tokens: no call was sent");
        }
        if (budgetMicros != null && run.costMicros() >= budgetMicros) {
            throw new LlmException(LlmException.Kind.BUDGET, "the run spent " + run.costMicros() + " of its "
                    + budgetMicros + " micro-dollars: no call was sent");
        }
        List<ChatMessage> messages = new ArrayList<>(2);
        if (systemTemplate != null) {
            messages.add(SystemMessage.from(text(systemTemplate.evaluate(ctx.variables()))));
        }
        messages.add(UserMessage.from(text(promptTemplate.evaluate(ctx.variables()))));
        Exchange call = new DefaultExchange(getCamelContext());
        call.getMessage().setBody(messages);
        call.setProperty(LlmConstants.TOOLS_PROPERTY, toolList);
        EventListener listener = new EventListener(ctx);
        call.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        call.setProperty(LlmConstants.SCRIPT_OFFSET_PROPERTY, scriptOffset(ctx));
        // what is left of the run's budget: the component refuses a call whose worst case exceeds it, pre-egress
        if (budgetMicros != null) {
            call.setProperty(LlmConstants.BUDGET_MICROS, budgetMicros - run.costMicros());
        }
        if (budgetTokens != null) {
            call.setProperty(LlmConstants.BUDGET_TOKENS, budgetTokens - run.tokens());
        }
        call.getMessage().setHeader(NodeConstants.IDEMPOTENCY_KEY, ctx.idempotencyKey());
        CompletableFuture<NodeResult> result = new CompletableFuture<>();
        llm.process(call, doneSync -> {
            if (call.getException() != null) {
                listener.flush();
                result.completeExceptionally(call.getException());
                return;
            }
            String lastDelta = listener.takePending();
            long cost = call.getMessage().getHeader(LlmConstants.COST_MICROS, 0L, Long.class);
            long tokens = call.getMessage().getHeader(LlmConstants.INPUT_TOKENS, 0L, Long.class)
                          + call.getMessage().getHeader(LlmConstants.OUTPUT_TOKENS, 0L, Long.class);
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("provider", call.getMessage().getHeader(LlmConstants.PROVIDER));
            detail.put("model", call.getMessage().getHeader(LlmConstants.MODEL));
            detail.put("finishReason", call.getMessage().getHeader(LlmConstants.FINISH_REASON));
            detail.put("llmAttempts", call.getMessage().getHeader(LlmConstants.ATTEMPTS));
            detail.values().removeIf(java.util.Objects::isNull);
            result.complete(new NodeResult.Completed(call.getMessage().getBody(), cost, tokens, detail, lastDelta));
        });
        return result;
    }

    /** Map item i and loop iteration k start at scripted reply i or k, so demos can script each one. */
    private static int scriptOffset(NodeContext ctx) {
        Object index = ctx.scopeVariables().get("iteration");
        if (index == null) {
            index = ctx.scopeVariables().get("index");
        }
        return index instanceof Number n ? n.intValue() : 0;
    }

    private static String text(Object value) {
        return value instanceof String s ? s : value == null ? "" : Json.write(value);
    }

    /**
     * Turns the component's callbacks into run events. Streamed text is published when at least
     * {@link #DELTA_WINDOW_NANOS} passed since the last publication (or the call started), and otherwise kept until
     * the next delta, the next other event of the node, or its completion, which carries it: a reader sees text at
     * most one token late, and a fast stream does not cost one state update per token.
     */
    private static final class EventListener implements LlmListener {
        private static final long DELTA_WINDOW_NANOS = 20_000_000L;

        private final NodeContext ctx;
        private final StringBuilder pending = new StringBuilder();
        /** The length of every delta received, so a discarded stream can be taken back by characters. */
        private final java.util.ArrayDeque<Integer> deltaLengths = new java.util.ArrayDeque<>();
        private long lastPublished = System.nanoTime();

        EventListener(NodeContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public synchronized void onDelta(String text) {
            pending.append(text);
            deltaLengths.addLast(text.length());
            if (System.nanoTime() - lastPublished >= DELTA_WINDOW_NANOS) {
                flush();
            }
        }

        @Override
        public synchronized void onDeltasDiscarded(int deltas, dev.caravan.llm.LlmException failure) {
            int chars = 0;
            for (int i = 0; i < deltas && !deltaLengths.isEmpty(); i++) {
                chars += deltaLengths.removeLast();
            }
            // what was not published yet is simply dropped; what was is taken back by an event
            int unpublished = Math.min(chars, pending.length());
            pending.setLength(pending.length() - unpublished);
            if (chars > unpublished) {
                ctx.emit(EventTypes.NODE_OUTPUT_DISCARDED, Map.of("chars", chars - unpublished,
                        "reason", failure.kind().name().toLowerCase(java.util.Locale.ROOT)));
            }
        }

        /** Publishes what is pending; called before any other event of the node so their order holds. */
        synchronized void flush() {
            String text = takePending();
            if (!text.isEmpty()) {
                ctx.emit(EventTypes.NODE_OUTPUT_DELTA, Map.of("text", text));
                lastPublished = System.nanoTime();
            }
        }

        /** Takes what is pending without publishing it: the completion carries it. */
        synchronized String takePending() {
            String text = pending.toString();
            pending.setLength(0);
            return text;
        }

        @Override
        public void onToolCall(String callId, String toolName, String argumentsJson) {
            flush();
            ctx.emit(EventTypes.TOOL_CALL_REQUESTED, Map.of("callId", callId, "tool", toolName,
                    "arguments", parseOrText(argumentsJson)));
        }

        @Override
        public void onToolResult(String callId, String toolName, String resultJson, boolean error) {
            flush();
            ctx.emit(error ? EventTypes.TOOL_CALL_FAILED : EventTypes.TOOL_CALL_COMPLETED,
                    Map.of("callId", callId, "tool", toolName, "result", parseOrText(resultJson)));
        }

        private static Object parseOrText(String json) {
            try {
                return Json.parse(json);
            } catch (RuntimeException e) {
                return json;
            }
        }
    }

    public String getModel() {
        return model;
    }

    /** The model, provider:model (e.g. openai:gpt-4o-mini) or scripted. */
    public void setModel(String model) {
        this.model = model;
    }

    public String getFallback() {
        return fallback;
    }

    /** Comma-separated models to try, in order, when the model fails with a retryable error. */
    public void setFallback(String fallback) {
        this.fallback = fallback;
    }

    public String getSystem() {
        return system;
    }

    /** The system prompt; may hold $[[ expr ]] templates. */
    public void setSystem(String system) {
        this.system = system;
    }

    public String getPrompt() {
        return prompt;
    }

    /** The prompt; may hold $[[ expr ]] templates. */
    public void setPrompt(String prompt) {
        this.prompt = prompt;
    }

    public String getOutputSchema() {
        return outputSchema;
    }

    /** A JSON Schema the reply must match; the output is then the parsed JSON. */
    public void setOutputSchema(String outputSchema) {
        this.outputSchema = outputSchema;
    }

    public String getTools() {
        return tools;
    }

    /** Tools the model may call: a JSON array of {name, description, parameters, uri}. */
    public void setTools(String tools) {
        this.tools = tools;
    }

    public Integer getMaxTokens() {
        return maxTokens;
    }

    /** Upper bound of output tokens. */
    public void setMaxTokens(Integer maxTokens) {
        this.maxTokens = maxTokens;
    }

    public Double getTemperature() {
        return temperature;
    }

    /** Sampling temperature. */
    public void setTemperature(Double temperature) {
        this.temperature = temperature;
    }

    public Integer getMaxToolRounds() {
        return maxToolRounds;
    }

    /** Upper bound of tool-calling rounds. */
    public void setMaxToolRounds(Integer maxToolRounds) {
        this.maxToolRounds = maxToolRounds;
    }

    public boolean isStreaming() {
        return streaming;
    }

    /** Whether to stream the reply, publishing output deltas as events. */
    public void setStreaming(boolean streaming) {
        this.streaming = streaming;
    }

    public String getScriptedReplies() {
        return scriptedReplies;
    }

    /** Replies of the scripted model: a JSON array. */
    public void setScriptedReplies(String scriptedReplies) {
        this.scriptedReplies = scriptedReplies;
    }

    public Long getBudgetTokens() {
        return budgetTokens;
    }

    /** The run's token budget: no call starts once the run used this many. */
    public void setBudgetTokens(Long budgetTokens) {
        this.budgetTokens = budgetTokens;
    }

    public Long getBudgetMicros() {
        return budgetMicros;
    }

    /** The run's budget in micro-dollars: no call starts once the run spent it. */
    public void setBudgetMicros(Long budgetMicros) {
        this.budgetMicros = budgetMicros;
    }

    public Long getScriptedLatency() {
        return scriptedLatency;
    }

    /** Simulated latency of the scripted model, in milliseconds. */
    public void setScriptedLatency(Long scriptedLatency) {
        this.scriptedLatency = scriptedLatency;
    }
}
