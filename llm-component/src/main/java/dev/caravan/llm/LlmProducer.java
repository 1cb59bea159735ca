package dev.caravan.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.ScriptedChatModel;
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
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.TokenUsage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.NoSuchEndpointException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultAsyncProducer;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one conversation per exchange: the model call (with fallback and timeout), the tool loop, structured-output
 * parsing with one repair round, and the usage headers. An exchange without tools whose models all hold a call to the
 * timeout themselves (the remote providers through their transport) or never wait runs on the caller's thread and
 * completes synchronously; any other is handed to the component's executor, which also watches the timeout of models
 * that cannot hold it themselves.
 */
public class LlmProducer extends DefaultAsyncProducer {

    private static final Logger LOG = LoggerFactory.getLogger(LlmProducer.class);

    /** The listener of an exchange that did not set one. */
    private static final LlmListener NO_LISTENER = new LlmListener() {
    };

    private ProducerTemplate template;
    private ExecutorService executor;
    /**
     * Every model of the chain may be called on the caller's thread (it never waits, or it holds a call to the timeout
     * itself): exchanges without tools run on the caller's thread, with no hand-off.
     */
    private boolean inline;

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
        executor = getEndpoint().getComponent().getExecutorService();
        inline = getEndpoint().chain().stream().allMatch(ResolvedModel::callsOnCaller);
        template = getEndpoint().getCamelContext().createProducerTemplate();
        ServiceHelper.startService(template);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(template);
        template = null;
        super.doStop();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (inline && tools(exchange).isEmpty()) {
            try {
                converse(exchange);
            } catch (Throwable e) {
                exchange.setException(e);
            }
            callback.done(true);
            return true;
        }
        try {
            executor.execute(() -> {
                try {
                    converse(exchange);
                } catch (Throwable e) {
                    exchange.setException(e);
                }
                callback.done(false);
            });
            return false;
        } catch (RejectedExecutionException e) {
            exchange.setException(new LlmException(Kind.CANCELLED, "caravan-llm is stopping: call rejected", e));
            callback.done(true);
            return true;
        }
    }

    /** Per-exchange bookkeeping across model calls. */
    private static final class Usage {
        long inputTokens;
        long outputTokens;
        long costMicros;
        int chainIndex;
        int failedAttempts;
        int attempts;
        long firstTokenNanos = -1;
        ResolvedModel answered;
        String finishReason;
    }

    private LlmSchemas schemas() {
        return getEndpoint().getComponent().schemas();
    }

    private void converse(Exchange exchange) throws Exception {
        long start = System.nanoTime();
        LlmEndpoint endpoint = getEndpoint();
        LlmConfiguration cfg = endpoint.getConfiguration();
        List<ResolvedModel> chain = endpoint.chain();
        List<ChatMessage> messages = initialMessages(exchange, cfg);
        List<LlmTool> tools = tools(exchange);
        Map<String, LlmTool> toolsByName = new LinkedHashMap<>();
        List<ToolSpecification> specs = new ArrayList<>();
        for (LlmTool tool : tools) {
            toolsByName.put(tool.name(), tool);
            specs.add(schemas().toolSpecification(tool));
        }
        LlmListener listener = exchange.getProperty(LlmConstants.LISTENER_PROPERTY, LlmListener.class);
        if (listener == null) {
            listener = NO_LISTENER;
        }
        Integer offsetProperty = exchange.getProperty(LlmConstants.SCRIPT_OFFSET_PROPERTY, Integer.class);
        int scriptOffset = offsetProperty == null ? 0 : offsetProperty;
        String schema = cfg.getResponseSchema() == null || cfg.getResponseSchema().isBlank() ? null : cfg.getResponseSchema();
        ResponseFormat format = schema == null ? null : schemas().responseFormat(schema);

        Budget budget = budget(exchange, cfg);
        Usage usage = new Usage();
        int toolRounds = 0;
        boolean repaired = false;
        try {
            while (true) {
                ChatRequest.Builder request = ChatRequest.builder().messages(new ArrayList<>(messages));
                if (!specs.isEmpty()) {
                    request.toolSpecifications(specs);
                }
                if (format != null) {
                    request.responseFormat(format);
                }
                if (cfg.getTemperature() != null) {
                    request.temperature(cfg.getTemperature());
                }
                if (cfg.getMaxTokens() != null) {
                    request.maxOutputTokens(cfg.getMaxTokens());
                }
                ChatResponse response = callWithFallback(chain, request, cfg, usage, scriptOffset, listener, start,
                        budget, budget.micros() == null && budget.tokens() == null ? 0 : estimateTokens(messages, specs));
                AiMessage ai = response.aiMessage();
                messages.add(ai);

                if (ai.hasToolExecutionRequests()) {
                    if (toolRounds >= cfg.getMaxToolRounds()) {
                        throw new LlmException(Kind.BUDGET, "The model still asked for tools after maxToolRounds="
                                                            + cfg.getMaxToolRounds() + " rounds (calls: "
                                                            + toolNames(ai) + ")");
                    }
                    toolRounds++;
                    int position = 0;
                    for (ToolExecutionRequest call : ai.toolExecutionRequests()) {
                        position++;
                        messages.add(runTool(exchange, call, toolsByName, listener,
                                "tool/" + toolRounds + "." + position));
                    }
                    continue;
                }

                String text = ai.text() == null ? "" : ai.text();
                if (schema == null) {
                    exchange.getMessage().setBody(text);
                    return;
                }
                try {
                    exchange.getMessage().setBody(structured(text, schema));
                    return;
                } catch (InvalidOutput e) {
                    if (repaired) {
                        throw new LlmException(Kind.INVALID_OUTPUT, "The reply does not match responseSchema after a repair round: "
                                                                    + e.getMessage());
                    }
                    repaired = true;
                    LOG.trace("Asking {} to repair invalid structured output: {}", usage.answered.ref(), e.getMessage());
                    messages.add(UserMessage.from("Your reply could not be used: " + e.getMessage()
                                                  + ". Reply again with only a JSON value that matches this JSON Schema, "
                                                  + "without any other text:\n" + schema));
                }
            }
        } finally {
            setHeaders(exchange, usage, start);
        }
    }

    private ChatResponse callWithFallback(
            List<ResolvedModel> chain, ChatRequest.Builder request, LlmConfiguration cfg, Usage usage, int scriptOffset,
            LlmListener listener, long start, Budget budget, long promptTokens) {
        List<LlmException> failures = new ArrayList<>();
        LlmCircuitBreakers circuits = getEndpoint().getComponent().circuitBreakers();
        int retries = 0;
        while (true) {
            ResolvedModel model = chain.get(usage.chainIndex);
            request.modelName(model.modelName());
            usage.attempts++;
            boolean acquired = false;
            try {
                checkBudget(model, cfg, usage, budget, promptTokens);
                circuits.acquire(model.circuitKey());
                acquired = true;
                ChatResponse response;
                try {
                    response = call(model, request.build(), cfg, scriptOffset + usage.failedAttempts, listener, usage, start);
                } catch (LlmException e) {
                    throw e;
                } catch (RuntimeException | Error e) {
                    circuits.release(model.circuitKey());
                    throw e;
                }
                circuits.onSuccess(model.circuitKey());
                usage.answered = model;
                usage.finishReason = response.finishReason() == null ? null : response.finishReason().name();
                TokenUsage tokens = response.tokenUsage();
                if (tokens != null) {
                    long in = tokens.inputTokenCount() == null ? 0 : tokens.inputTokenCount();
                    long out = tokens.outputTokenCount() == null ? 0 : tokens.outputTokenCount();
                    usage.inputTokens += in;
                    usage.outputTokens += out;
                    usage.costMicros = LlmPrices.saturatedAdd(usage.costMicros,
                            getEndpoint().getComponent().costMicros(model, in, out));
                }
                return response;
            } catch (LlmException e) {
                if (acquired) {
                    circuits.onFailure(model.circuitKey(), e);
                }
                usage.answered = model;
                if (e.kind() == Kind.CIRCUIT_OPEN) {
                    // nothing was sent: neither a retry nor a script step
                    usage.attempts--;
                    usage.failedAttempts--;
                }
                if (e.retryable() && e.kind() != Kind.CIRCUIT_OPEN && retries < cfg.getMaxRetries()) {
                    long delay = retryDelayMillis(cfg, retries, e);
                    if (delay >= 0) {
                        retries++;
                        usage.failedAttempts++;
                        LOG.debug("Model {} failed ({}), retry {} of {} in {} ms", model.ref(), e.kind(), retries,
                                cfg.getMaxRetries(), delay);
                        pause(delay, model, e);
                        continue;
                    }
                    LOG.debug("Model {} failed ({}) and asks to wait {} before a retry: longer than a call may take, not retried",
                            model.ref(), e.kind(), e.retryAfter().orElse(null));
                }
                if (e.retryable() && usage.chainIndex + 1 < chain.size()) {
                    LOG.debug("Model {} failed ({}), falling back to {}", model.ref(), e.kind(),
                            chain.get(usage.chainIndex + 1).ref());
                    failures.add(e);
                    usage.chainIndex++;
                    usage.failedAttempts++;
                    retries = 0;
                    continue;
                }
                if (!failures.isEmpty()) {
                    StringBuilder sb = new StringBuilder("All ").append(usage.chainIndex + 1).append(" models failed: ");
                    for (int i = 0; i < failures.size(); i++) {
                        sb.append(chain.get(usage.chainIndex - failures.size() + i).ref()).append(" (")
                                .append(failures.get(i).kind()).append("), ");
                    }
                    sb.append(model.ref()).append(" (").append(e.kind()).append("): ").append(e.getMessage());
                    LlmException all = new LlmException(e.kind(), sb.toString(), e, e.retryAfter().orElse(null));
                    failures.forEach(all::addSuppressed);
                    throw all;
                }
                throw e;
            }
        }
    }

    /** The remaining budget of an exchange when it started; null means no limit. */
    private record Budget(Long micros, Long tokens) {
    }

    /** The smallest of the endpoint option, the exchange property and the header of each budget. */
    private static Budget budget(Exchange exchange, LlmConfiguration cfg) {
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
    private void checkBudget(ResolvedModel model, LlmConfiguration cfg, Usage usage, Budget budget, long promptTokens) {
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

    private void pause(long millis, ResolvedModel model, LlmException failure) {
        if (millis <= 0) {
            return;
        }
        try {
            getEndpoint().getComponent().getSleeper().sleep(millis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            LlmException cancelled = new LlmException(Kind.CANCELLED,
                    "Interrupted while waiting to retry " + model.ref(), ie);
            cancelled.addSuppressed(failure);
            throw cancelled;
        }
    }

    private ChatResponse call(
            ResolvedModel model, ChatRequest request, LlmConfiguration cfg, int scriptOffset, LlmListener listener,
            Usage usage, long start) {
        Future<ChatResponse> future;
        DeltaRelay relay = null;
        if (model.streamingChatModel() != null) {
            StreamingChatModel streaming = model.streamingChatModel();
            if (streaming instanceof ScriptedChatModel scripted) {
                streaming = scripted.withOffset(scriptOffset);
            }
            relay = new DeltaRelay(listener, usage);
            // streaming models answer through the handler on their own threads: no hand-off needed to start one
            try {
                streaming.chat(request, relay);
            } catch (Throwable e) {
                relay.result.completeExceptionally(e);
            }
            future = relay.result;
        } else {
            ChatModel blocking = model.chatModel();
            if (blocking instanceof ScriptedChatModel scripted) {
                blocking = scripted.withOffset(scriptOffset);
            }
            if (model.callsOnCaller()) {
                // the model never waits, or ends the call at the timeout itself: no other thread needed to watch it
                try {
                    return blocking.chat(request);
                } catch (RuntimeException e) {
                    throw ProviderErrors.classify(model.ref(), e, getEndpoint().getComponent().now());
                }
            }
            // on its own thread, so the timeout holds whatever the model does
            ChatModel target = blocking;
            future = executor.submit(() -> target.chat(request));
        }
        try {
            return future.get(cfg.getTimeout(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw discard(relay, new LlmException(Kind.TIMEOUT, model.ref() + " did not answer within " + cfg.getTimeout() + " ms"));
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw discard(relay, new LlmException(Kind.CANCELLED, "The call to " + model.ref() + " was interrupted", e));
        } catch (ExecutionException e) {
            throw discard(relay, ProviderErrors.classify(model.ref(), e.getCause() != null ? e.getCause() : e,
                    getEndpoint().getComponent().now()));
        }
    }

    /** Stops the deltas of a failed streamed call and tells the listener about those it already passed on. */
    private static LlmException discard(DeltaRelay relay, LlmException failure) {
        if (relay != null) {
            relay.discard(failure);
        }
        return failure;
    }

    /**
     * Passes the deltas of one streamed call to the listener until the call ends. When the call fails, {@link #discard}
     * stops it (a late delta from the provider's thread is dropped, so the listener never sees the failed call's deltas
     * after it was told to drop them) and tells the listener how many it had passed on.
     */
    private static final class DeltaRelay implements StreamingChatResponseHandler {
        final CompletableFuture<ChatResponse> result = new CompletableFuture<>();
        private final LlmListener listener;
        private final Usage usage;
        private int relayed;
        private boolean discarded;

        DeltaRelay(LlmListener listener, Usage usage) {
            this.listener = listener;
            this.usage = usage;
        }

        @Override
        public void onPartialResponse(String partial) {
            if (partial == null || partial.isEmpty()) {
                return;
            }
            synchronized (this) {
                if (discarded || result.isDone()) {
                    return;
                }
                if (usage.firstTokenNanos < 0) {
                    usage.firstTokenNanos = System.nanoTime();
                }
                relayed++;
                listener.onDelta(partial);
            }
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            boolean empty = response.aiMessage() == null
                            || (response.aiMessage().text() == null || response.aiMessage().text().isEmpty())
                               && !response.aiMessage().hasToolExecutionRequests();
            synchronized (this) {
                if (empty && relayed == 0 && response.finishReason() == null) {
                    // nothing a provider's stream carries (no text, no tool call, no finish reason): the server did not
                    // answer in its stream format, which must not pass for an empty reply
                    result.completeExceptionally(new LlmException(Kind.SERVER, "The stream ended without any reply "
                            + "(no text, no tool call, no finish reason): the server did not answer in its streaming "
                            + "format"));
                    return;
                }
            }
            result.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        synchronized void discard(LlmException failure) {
            discarded = true;
            if (relayed > 0) {
                // the time to first token is that of the reply that is kept
                usage.firstTokenNanos = -1;
                listener.onDeltasDiscarded(relayed, failure);
            }
        }
    }

    private ToolExecutionResultMessage runTool(
            Exchange exchange, ToolExecutionRequest call, Map<String, LlmTool> tools, LlmListener listener, String callPosition) {
        String id = call.id() != null ? call.id() : "call_" + System.identityHashCode(call);
        String name = call.name();
        String arguments = call.arguments() == null || call.arguments().isBlank() ? "{}" : call.arguments();
        listener.onToolCall(id, name, arguments);

        LlmTool tool = tools.get(name);
        if (tool == null) {
            return toolError(listener, id, name, Kind.UNKNOWN_TOOL,
                    "Unknown tool '" + name + "'. Available tools: " + (tools.isEmpty() ? "none" : String.join(", ", tools.keySet())));
        }
        JsonNode args;
        try {
            args = LlmJson.tree(arguments);
        } catch (JsonProcessingException e) {
            return toolError(listener, id, name, Kind.INVALID_ARGUMENTS,
                    "Arguments of tool '" + name + "' are not valid JSON: " + JsonProblems.describe(e));
        }
        if (args == null || !args.isObject()) {
            return toolError(listener, id, name, Kind.INVALID_ARGUMENTS,
                    "Arguments of tool '" + name + "' must be a JSON object");
        }
        if (tool.parametersSchema() != null && !tool.parametersSchema().isBlank()) {
            List<String> problems = schemas().validate(tool.parametersSchema(), args);
            if (!problems.isEmpty()) {
                return toolError(listener, id, name, Kind.INVALID_ARGUMENTS,
                        "Arguments of tool '" + name + "' do not match its schema: " + String.join("; ", problems));
            }
        }

        Map<String, Object> body = LlmJson.MAPPER.convertValue(args, LinkedHashMapType.INSTANCE);
        Exchange reply;
        try {
            Endpoint endpoint = CamelContextHelper.getMandatoryEndpoint(
                    getEndpoint().getCamelContext(), tool.endpointUri());
            reply = template.send(endpoint, toolExchange -> {
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
                // the calling node's idempotency key, made one per tool call by its place in the conversation (the
                // model's own call ids change when a node runs again after a crash)
                String nodeKey = exchange.getMessage().getHeader(LlmConstants.IDEMPOTENCY_KEY, String.class);
                String key = nodeKey == null ? null : nodeKey + "/" + callPosition;
                if (key != null) {
                    toolExchange.getMessage().setHeader(LlmConstants.IDEMPOTENCY_KEY, key);
                }
                OutboundHeaders.prepare(endpoint, toolExchange.getMessage(), key);
            });
        } catch (NoSuchEndpointException | ResolveEndpointFailedException e) {
            throw new LlmException(Kind.TOOL_FAILED, "Tool '" + name + "' has an unusable endpoint '" + tool.endpointUri()
                                                     + "': " + e.getMessage(), e);
        }
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

    private Object structured(String text, String schema) throws InvalidOutput {
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

    private static List<ChatMessage> initialMessages(Exchange exchange, LlmConfiguration cfg) throws InvalidPayloadException {
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
        if (cfg.getSystemPrompt() != null && !cfg.getSystemPrompt().isBlank()
            && messages.stream().noneMatch(SystemMessage.class::isInstance)) {
            messages.add(0, SystemMessage.from(cfg.getSystemPrompt()));
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

    private static String toolNames(AiMessage ai) {
        List<String> names = new ArrayList<>();
        ai.toolExecutionRequests().forEach(r -> names.add(r.name()));
        return String.join(", ", names);
    }

    private static void setHeaders(Exchange exchange, Usage usage, long start) {
        Message message = exchange.getMessage();
        if (usage.answered != null) {
            message.setHeader(LlmConstants.PROVIDER, usage.answered.provider());
            message.setHeader(LlmConstants.MODEL, usage.answered.displayName());
        }
        message.setHeader(LlmConstants.INPUT_TOKENS, usage.inputTokens);
        message.setHeader(LlmConstants.OUTPUT_TOKENS, usage.outputTokens);
        message.setHeader(LlmConstants.COST_MICROS, usage.costMicros);
        message.setHeader(LlmConstants.LATENCY_MILLIS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        message.setHeader(LlmConstants.ATTEMPTS, usage.attempts);
        message.setHeader(LlmConstants.FALLBACKS, usage.chainIndex);
        if (usage.finishReason != null) {
            message.setHeader(LlmConstants.FINISH_REASON, usage.finishReason);
        }
        if (usage.firstTokenNanos >= 0) {
            message.setHeader(LlmConstants.TIME_TO_FIRST_TOKEN_MILLIS,
                    TimeUnit.NANOSECONDS.toMillis(usage.firstTokenNanos - start));
        }
    }

    /** The reply could not be used as structured output. */
    private static final class InvalidOutput extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidOutput(String message) {
            super(message, null, false, false);
        }
    }

    private static final class LinkedHashMapType extends TypeReference<LinkedHashMap<String, Object>> {
        static final LinkedHashMapType INSTANCE = new LinkedHashMapType();
    }
}
