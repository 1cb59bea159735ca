package dev.caravan.component.agent;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.event.EventTypes;
import dev.caravan.expr.Template;
import dev.caravan.json.Json;
import dev.caravan.llm.LlmComponent;
import dev.caravan.llm.LlmConfiguration;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmEndpoint;
import dev.caravan.llm.LlmException;
import dev.caravan.llm.LlmListener;
import dev.caravan.llm.LlmTool;
import dev.caravan.state.RunRecord;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Category;
import org.apache.camel.Exchange;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceHelper;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Calls a chat model as the agent node of a workflow and records the reply in the run, with its tokens and cost.
 * <p>
 * The node renders its prompt and calls the model through the {@code caravan-llm:} component (with tools,
 * structured output and fallback). Streamed deltas and tool calls become run events.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-agent", title = "Caravan Agent",
             syntax = "caravan-agent:nodePath", category = { Category.AI }, producerOnly = true,
             headersClass = NodeConstants.class)
public class AgentEndpoint extends NodeEndpoint {

    @UriParam
    private AgentConfiguration configuration;

    private Long budgetTokens;
    private Long budgetMicros;
    private Template systemTemplate;
    private Template promptTemplate;
    private List<LlmTool> toolList = List.of();
    private LlmEndpoint llmEndpoint;
    private AsyncProducer llm;

    public AgentEndpoint(String uri, AgentComponent component, AgentConfiguration configuration) {
        super(uri, component);
        this.configuration = configuration;
    }

    @Override
    public String kind() {
        return AgentKind.NAME;
    }

    @Override
    protected boolean isRetryable() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) throws Exception {
        AgentSpec agent = spec(node, AgentSpec.class);
        if (agent.prompt() == null) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs a prompt");
        }
        systemTemplate = compile(agent.system());
        promptTemplate = compile(agent.prompt());
        List<LlmTool> list = new ArrayList<>();
        for (String name : agent.tools() == null ? List.<String>of() : agent.tools()) {
            Workflow.ToolDef def = wf.tools().get(name);
            if (def == null) {
                throw new IllegalArgumentException(getEndpointBaseUri() + ": workflow " + wf.name()
                        + " has no tool named " + name);
            }
            list.add(new LlmTool(def.name(), def.description(),
                    def.parameters() == null ? null : Json.write(def.parameters()), def.uri()));
        }
        toolList = List.copyOf(list);
        if (wf.budget() != null) {
            budgetTokens = wf.budget().tokens();
            budgetMicros = wf.budget().usdMicros();
        }
        llmEndpoint = new LlmEndpoint("caravan-llm:chat", getCamelContext().getComponent("caravan-llm",
                LlmComponent.class), LlmConstants.OPERATION_CHAT, llmConfiguration(wf, agent));
        llmEndpoint.setCamelContext(getCamelContext());
        llmEndpoint.start();
        llm = llmEndpoint.createAsyncProducer();
        llm.start();
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(llm, llmEndpoint);
        super.doStop();
    }

    /**
     * The LLM options of this node over the caravan-llm component's own defaults, set as values: the node's text
     * (replies of the scripted model, the output schema) never passes through a URI.
     */
    private LlmConfiguration llmConfiguration(Workflow wf, AgentSpec agent) {
        LlmComponent component = getCamelContext().getComponent("caravan-llm", LlmComponent.class);
        LlmConfiguration cfg = component.getConfiguration() != null ? component.getConfiguration().copy()
                : new LlmConfiguration();
        String model = agent.model() != null ? agent.model() : wf.defaults().model();
        if (model == null) {
            model = "scripted";
        }
        // agents written for the scripted model run on a real one when the host says so (caravan run --model)
        String replacement = "scripted".equals(model) && configuration.getScriptedModel() != null
                             && !configuration.getScriptedModel().isBlank() ? configuration.getScriptedModel() : null;
        cfg.setModel(replacement != null ? replacement : model);
        List<String> fallback = agent.fallback() != null && !agent.fallback().isEmpty() ? agent.fallback()
                : wf.defaults().fallback();
        if (fallback != null && !fallback.isEmpty()) {
            cfg.setFallback(String.join(",", fallback));
        }
        if (agent.output() != null) {
            cfg.setResponseSchema(Json.write(agent.output()));
        }
        if (agent.maxTokens() != null) {
            cfg.setMaxTokens(agent.maxTokens());
        }
        if (agent.temperature() != null) {
            cfg.setTemperature(agent.temperature());
        }
        if (agent.maxToolRounds() != null) {
            cfg.setMaxToolRounds(agent.maxToolRounds());
        }
        cfg.setStreaming(configuration.isStreaming());
        if (replacement == null && agent.scripted() != null) {
            if (agent.scripted().replies() != null) {
                cfg.setScriptedReplies(Json.write(agent.scripted().replies()));
            }
            if (agent.scripted().latencyMs() != null) {
                cfg.setScriptedLatency(agent.scripted().latencyMs());
            }
        }
        return cfg;
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        // the budget is checked against the run's totals as they are now, not as this exchange last saw them
        RunRecord run = budgetTokens == null && budgetMicros == null ? ctx.record()
                : ctx.services().store().get(ctx.runId());
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
            detail.put("fallbacks", call.getMessage().getHeader(LlmConstants.FALLBACKS));
            detail.values().removeIf(Objects::isNull);
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
        private final ArrayDeque<Integer> deltaLengths = new ArrayDeque<>();
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
        public synchronized void onDeltasDiscarded(int deltas, LlmException failure) {
            int chars = 0;
            for (int i = 0; i < deltas && !deltaLengths.isEmpty(); i++) {
                chars += deltaLengths.removeLast();
            }
            // what was not published yet is simply dropped; what was is taken back by an event
            int unpublished = Math.min(chars, pending.length());
            pending.setLength(pending.length() - unpublished);
            if (chars > unpublished) {
                ctx.emit(EventTypes.NODE_OUTPUT_DISCARDED, Map.of("chars", chars - unpublished,
                        "reason", failure.kind().name().toLowerCase(Locale.ROOT)));
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

    public AgentConfiguration getConfiguration() {
        return configuration;
    }

    /** The endpoint's options: a copy of the component's, then what its URI sets. */
    public void setConfiguration(AgentConfiguration configuration) {
        this.configuration = configuration;
    }
}
