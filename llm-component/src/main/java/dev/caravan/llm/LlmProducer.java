package dev.caravan.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.support.Credentials;
import dev.caravan.support.HttpEndpoints;
import dev.caravan.support.JsonProblems;
import dev.caravan.support.OutboundHeaders;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.NoSuchEndpointException;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.spi.ProducerCache;
import org.apache.camel.support.DefaultAsyncProducer;
import org.apache.camel.support.cache.DefaultProducerCache;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs one {@link Conversation} per exchange, completing it asynchronously: nothing waits on a thread for a model,
 * a retry or a tool that completes later. A conversation whose models answer at once and whose tools complete at once
 * ends before {@code process} returns, on the caller's thread.
 */
public class LlmProducer extends DefaultAsyncProducer {

    private static final Logger LOG = LoggerFactory.getLogger(LlmProducer.class);

    private ProducerCache tools;

    public LlmProducer(LlmEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public LlmEndpoint getEndpoint() {
        return (LlmEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        tools = new DefaultProducerCache(this, getEndpoint().getCamelContext(), 100);
        ServiceHelper.startService(tools);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(tools);
        tools = null;
        super.doStop();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Conversation conversation;
        try {
            conversation = new Conversation(this, exchange, callback, tools(exchange));
        } catch (Throwable e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        return conversation.begin();
    }

    private LlmSchemas schemas() {
        return getEndpoint().getComponent().schemas();
    }

    /** The remaining budget of an exchange when it started; null means no limit. */
    record Budget(Long micros, Long tokens) {
    }

    /** The smallest of the endpoint option, the exchange property and the header of each budget. */
    static Budget budget(Exchange exchange, LlmConfiguration cfg) {
        return new Budget(
                smallest(cfg.getBudgetMicros(), exchange, LlmConstants.BUDGET_MICROS),
                smallest(cfg.getBudgetTokens(), exchange, LlmConstants.BUDGET_TOKENS));
    }

    private static Long smallest(Long option, Exchange exchange, String name) {
        return smaller(smaller(option, exchange.getProperty(name, Long.class)), exchange.getMessage().getHeader(name, Long.class));
    }

    private static Long smaller(Long a, Long b) {
        return a == null || (b != null && b < a) ? b : a;
    }

    /**
     * Refuses the call to {@code model} with a non-retryable BUDGET when its worst case, the estimated prompt tokens
     * plus maxTokens (4096 when not set) priced for that model, exceeds what is left of the budget after the calls of
     * this exchange so far.
     */
    void checkBudget(ResolvedModel model, LlmConfiguration cfg, Conversation.Usage usage, Budget budget, long promptTokens) {
        if (budget.micros() == null && budget.tokens() == null) {
            return;
        }
        long maxOut = cfg.getMaxTokens() != null && cfg.getMaxTokens() > 0
                ? cfg.getMaxTokens() : LlmConstants.DEFAULT_BUDGET_MAX_TOKENS;
        if (budget.tokens() != null) {
            long left = budget.tokens() - usage.inputTokens - usage.outputTokens;
            long worst = LlmPrices.saturatedAdd(promptTokens, maxOut);
            if (worst > left) {
                throw new LlmException(Kind.BUDGET, "Calling " + model.ref() + " could use up to " + worst
                                                    + " tokens (about " + promptTokens + " prompt + " + maxOut
                                                    + " output), more than the " + Math.max(0, left)
                                                    + " left of the token budget; nothing was sent");
            }
        }
        if (budget.micros() != null) {
            long left = budget.micros() - usage.costMicros;
            long worst = getEndpoint().getComponent().costMicros(model, promptTokens, maxOut);
            if (worst > left) {
                throw new LlmException(Kind.BUDGET, "Calling " + model.ref() + " could cost up to " + worst
                                                    + " micro-dollars (about " + promptTokens + " prompt + " + maxOut
                                                    + " output tokens), more than the " + Math.max(0, left)
                                                    + " left of the budget; nothing was sent");
            }
        }
    }

    /** A conservative prompt size: a token per 4 characters (rounded up) of every message and tool specification. */
    static long estimateTokens(List<ChatMessage> messages, List<ToolSpecification> specs) {
        long chars = 0;
        for (ChatMessage message : messages) {
            chars += messageChars(message);
        }
        for (ToolSpecification spec : specs) {
            chars += String.valueOf(spec.name()).length() + String.valueOf(spec.description()).length();
            chars += spec.parameters() == null ? 0 : spec.parameters().toString().length();
        }
        return (chars + 3) / 4;
    }

    private static long messageChars(ChatMessage message) {
        if (message instanceof SystemMessage system) {
            return system.text().length();
        }
        if (message instanceof UserMessage user) {
            long chars = 0;
            for (Content content : user.contents()) {
                chars += content instanceof TextContent text
                        ? text.text().length() : content.toString().length();
            }
            return chars;
        }
        if (message instanceof AiMessage ai) {
            long chars = ai.text() == null ? 0 : ai.text().length();
            if (ai.hasToolExecutionRequests()) {
                for (ToolExecutionRequest call : ai.toolExecutionRequests()) {
                    chars += String.valueOf(call.name()).length() + String.valueOf(call.arguments()).length();
                }
            }
            return chars;
        }
        if (message instanceof ToolExecutionResultMessage result) {
            return String.valueOf(result.text()).length();
        }
        return message.toString().length();
    }

    /** The longest wait before a retry. */
    static final long MAX_RETRY_DELAY_MILLIS = 30_000;

    /**
     * Exponential backoff with jitter: {@code initial * 2^retry} (at most 30 s), of which a random half is waited on
     * top of the other half ("equal jitter"), so concurrent callers do not retry in lockstep.
     */
    static long backoffMillis(long initialDelay, int retry) {
        if (initialDelay <= 0) {
            return 0;
        }
        long base = Math.min(MAX_RETRY_DELAY_MILLIS, initialDelay << Math.min(retry, 20));
        long half = base / 2;
        return half + ThreadLocalRandom.current().nextLong(base - half + 1);
    }

    /** The longest Retry-After waited before a retry of the same model. */
    static final long MAX_RETRY_AFTER_MILLIS = 60_000;

    /**
     * The wait before retry {@code retry} (0-based) after {@code failure}: the backoff, or the provider's Retry-After
     * when that is longer. -1 when the Retry-After is longer than the endpoint's timeout or than
     * {@link #MAX_RETRY_AFTER_MILLIS}: a retry that soon would be refused again, and waiting that long is not worth it, so
     * the next model of the chain is tried at once (or the failure, with its retryAfter, ends the exchange).
     */
    static long retryDelayMillis(LlmConfiguration cfg, int retry, LlmException failure) {
        long backoff = backoffMillis(cfg.getRetryInitialDelay(), retry);
        if (failure.retryAfter().isEmpty()) {
            return backoff;
        }
        long asked = failure.retryAfter().get().toMillis();
        if (asked > Math.min(MAX_RETRY_AFTER_MILLIS, cfg.getTimeout())) {
            return -1;
        }
        return Math.max(backoff, asked);
    }

    /** What a tool call gives the conversation: the result message, and whether the call completed synchronously. */
    @FunctionalInterface
    interface ToolResult {
        void accept(ToolExecutionResultMessage result, boolean doneSync);
    }

    /**
     * Calls a tool's endpoint through its asynchronous producer; {@code done} gets the result for the model (a failure
     * is a result too). Returns whether the call completed synchronously, {@code done} having been called already.
     */
    boolean runTool(Exchange exchange, ToolExecutionRequest call, Map<String, LlmTool> tools, LlmListener listener,
            String callPosition, ToolResult done) {
        String id = call.id() != null ? call.id() : "call_" + System.identityHashCode(call);
        String name = call.name();
        String arguments = call.arguments() == null || call.arguments().isBlank() ? "{}" : call.arguments();
        listener.onToolCall(id, name, arguments);

        LlmTool tool = tools.get(name);
        if (tool == null) {
            done.accept(toolError(listener, id, name, Kind.UNKNOWN_TOOL, "Unknown tool '" + name + "'. Available tools: "
                    + (tools.isEmpty() ? "none" : String.join(", ", tools.keySet()))), true);
            return true;
        }
        JsonNode args;
        try {
            args = LlmJson.tree(arguments);
        } catch (JsonProcessingException e) {
            done.accept(toolError(listener, id, name, Kind.INVALID_ARGUMENTS,
                    "Arguments of tool '" + name + "' are not valid JSON: " + JsonProblems.describe(e)), true);
            return true;
        }
        if (args == null || !args.isObject()) {
            done.accept(toolError(listener, id, name, Kind.INVALID_ARGUMENTS,
                    "Arguments of tool '" + name + "' must be a JSON object"), true);
            return true;
        }
        if (tool.parametersSchema() != null && !tool.parametersSchema().isBlank()) {
            List<String> problems = schemas().validate(tool.parametersSchema(), args);
            if (!problems.isEmpty()) {
                done.accept(toolError(listener, id, name, Kind.INVALID_ARGUMENTS,
                        "Arguments of tool '" + name + "' do not match its schema: " + String.join("; ", problems)), true);
                return true;
            }
        }

        Map<String, Object> body = LlmJson.MAPPER.convertValue(args, LinkedHashMapType.INSTANCE);
        Endpoint endpoint;
        try {
            endpoint = CamelContextHelper.getMandatoryEndpoint(getEndpoint().getCamelContext(), tool.endpointUri());
        } catch (NoSuchEndpointException | ResolveEndpointFailedException e) {
            throw new LlmException(Kind.TOOL_FAILED, "Tool '" + name + "' has an unusable endpoint '" + tool.endpointUri()
                                                     + "': " + e.getMessage(), e);
        }
        Exchange toolExchange = endpoint.createExchange();
        exchange.getProperties().forEach((k, v) -> {
            if (!k.startsWith(LlmConstants.PREFIX)) {
                toolExchange.setProperty(k, v);
            }
        });
        if (HttpEndpoints.isHttp(tool.endpointUri())) {
            // the arguments go over HTTP as JSON, as a call node sends a structured body
            toolExchange.getMessage().setBody(LlmJson.write(body));
            toolExchange.getMessage().setHeader("Content-Type", "application/json");
        } else {
            toolExchange.getMessage().setBody(body);
        }
        toolExchange.getMessage().setHeader(LlmConstants.TOOL_NAME, name);
        toolExchange.getMessage().setHeader(LlmConstants.TOOL_CALL_ID, id);
        // the calling node's idempotency key, made one per tool call by its place in the conversation (the model's
        // own call ids change when a node runs again after a crash)
        String nodeKey = exchange.getMessage().getHeader(LlmConstants.IDEMPOTENCY_KEY, String.class);
        String key = nodeKey == null ? null : nodeKey + "/" + callPosition;
        if (key != null) {
            toolExchange.getMessage().setHeader(LlmConstants.IDEMPOTENCY_KEY, key);
        }
        OutboundHeaders.prepare(endpoint, toolExchange.getMessage(), key);
        return this.tools.doInAsyncProducer(endpoint, toolExchange,
                doneSync -> done.accept(toolResult(toolExchange, listener, id, name), doneSync),
                (producer, ex, callback) -> producer.process(ex, callback));
    }

    /** The tool's reply as the model gets it, without the credentials the tool's route added. */
    private static ToolExecutionResultMessage toolResult(Exchange reply, LlmListener listener, String id, String name) {
        // credentials the tool's route added to its request (an Authorization header) come back with the reply, and
        // an echoing service may quote them: neither the model nor the run's events get them
        List<String> credentials = new ArrayList<>(0);
        Credentials.find(reply.getMessage().getHeaders(), credentials::add);
        if (reply.getException() != null) {
            String failure = Credentials.redact(reply.getException().getMessage(), credentials);
            LOG.debug("Tool {} ({}) failed: {}", name, id, failure);
            return toolError(listener, id, name, Kind.TOOL_FAILED, "Tool '" + name + "' failed: " + failure);
        }
        Object result = reply.getMessage().getBody();
        String text;
        if (result == null) {
            text = "null";
        } else if (result instanceof Map || result instanceof List) {
            text = LlmJson.write(result);
        } else {
            // a stream (an HTTP reply) is read as text, through Camel's type converters
            text = reply.getMessage().getBody(String.class);
        }
        text = Credentials.redact(text, credentials);
        listener.onToolResult(id, name, text, false);
        return ToolExecutionResultMessage.builder().id(id).toolName(name).text(text).build();
    }

    private static ToolExecutionResultMessage toolError(LlmListener listener, String id, String name, Kind kind, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("error", kind.name());
        error.put("message", LlmException.redact(message));
        String text = LlmJson.write(error);
        listener.onToolResult(id, name, text, true);
        return ToolExecutionResultMessage.builder().id(id).toolName(name).text(text).isError(true).build();
    }

    Object structured(String text, String schema) throws InvalidOutput {
        String json = LlmJson.stripFence(text);
        JsonNode tree;
        try {
            tree = LlmJson.tree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidOutput("it is not valid JSON (" + JsonProblems.describe(e) + ")");
        }
        if (tree == null || tree.isMissingNode()) {
            throw new InvalidOutput("it is empty, not JSON");
        }
        List<String> problems = schemas().validate(schema, tree);
        if (!problems.isEmpty()) {
            throw new InvalidOutput("it does not match the schema (" + String.join("; ", problems) + ")");
        }
        return LlmJson.MAPPER.convertValue(tree, Object.class);
    }

    static List<ChatMessage> initialMessages(Exchange exchange, LlmConfiguration cfg) throws InvalidPayloadException {
        Object body = exchange.getMessage().getBody();
        List<ChatMessage> messages = new ArrayList<>();
        if (body instanceof List<?> list) {
            for (Object item : list) {
                if (!(item instanceof ChatMessage message)) {
                    throw new InvalidPayloadException(exchange, List.class);
                }
                messages.add(message);
            }
        } else {
            messages.add(UserMessage.from(exchange.getMessage().getMandatoryBody(String.class)));
        }
        if (messages.isEmpty()) {
            throw new InvalidPayloadException(exchange, List.class);
        }
        String system = exchange.getMessage().getHeader(LlmConstants.SYSTEM_PROMPT, cfg.getSystemPrompt(),
                String.class);
        if (system != null && !system.isBlank() && messages.stream().noneMatch(SystemMessage.class::isInstance)) {
            messages.add(0, SystemMessage.from(system));
        }
        return messages;
    }

    private static List<LlmTool> tools(Exchange exchange) {
        Object value = exchange.getProperty(LlmConstants.TOOLS_PROPERTY);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("Exchange property " + LlmConstants.TOOLS_PROPERTY
                                               + " must be a List<LlmTool>, was " + value.getClass().getName());
        }
        List<LlmTool> tools = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof LlmTool tool)) {
                throw new IllegalArgumentException("Exchange property " + LlmConstants.TOOLS_PROPERTY
                                                   + " must be a List<LlmTool>, found "
                                                   + (item == null ? "null" : item.getClass().getName()));
            }
            tools.add(tool);
        }
        return tools;
    }

    /** The reply could not be used as structured output. */
    static final class InvalidOutput extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidOutput(String message) {
            super(message, null, false, false);
        }
    }

    private static final class LinkedHashMapType extends TypeReference<LinkedHashMap<String, Object>> {
        static final LinkedHashMapType INSTANCE = new LinkedHashMapType();
    }
}
