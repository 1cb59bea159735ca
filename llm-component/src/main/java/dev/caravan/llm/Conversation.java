package dev.caravan.llm;

import dev.caravan.llm.LlmException.Kind;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One exchange's conversation with the models of its endpoint: the model calls (with retries and fallback), the tool
 * loop, structured output with one repair round, and the usage headers. Driven by completions, never by a waiting
 * thread: each step starts the next from the thread that ended the previous one (the caller's, a model's, a tool's),
 * and a retry waits on the component's timer.
 */
final class Conversation {

    private static final Logger LOG = LoggerFactory.getLogger(Conversation.class);

    /** The listener of an exchange that did not set one. */
    private static final LlmListener NO_LISTENER = new LlmListener() {
    };

    private static final int RUNNING = 0;
    private static final int ENDED_IN_PROCESS = 1;
    private static final int PROCESS_RETURNED = 2;

    /** Per-exchange bookkeeping across model calls. */
    static final class Usage {
        long inputTokens;
        long outputTokens;
        long costMicros;
        int chainIndex;
        int failedAttempts;
        int attempts;
        volatile long firstTokenNanos = -1;
        ResolvedModel answered;
        String finishReason;
    }

    private final LlmProducer producer;
    private final LlmComponent component;
    private final Exchange exchange;
    private final AsyncCallback callback;
    private final LlmConfiguration cfg;
    private final List<ResolvedModel> chain;
    private final List<ChatMessage> messages;
    private final Map<String, LlmTool> toolsByName = new LinkedHashMap<>();
    private final List<ToolSpecification> specs = new ArrayList<>();
    private final LlmListener listener;
    private final int scriptOffset;
    private final String schema;
    private final ResponseFormat format;
    private final LlmProducer.Budget budget;
    private final long start = System.nanoTime();
    private final Usage usage = new Usage();
    /** Whether the conversation ended before {@link #begin} returned, which then completes the exchange synchronously. */
    private final AtomicInteger phase = new AtomicInteger(RUNNING);
    /** The exchange is completed once, whatever fails after. */
    private final AtomicBoolean ended = new AtomicBoolean();

    private int toolRounds;
    private boolean repaired;
    /** The retries and the failed models of the current turn. */
    private int retries;
    private List<LlmException> failures;

    Conversation(LlmProducer producer, Exchange exchange, AsyncCallback callback, List<LlmTool> tools) throws Exception {
        this.producer = producer;
        this.component = producer.getEndpoint().getComponent();
        this.exchange = exchange;
        this.callback = callback;
        this.cfg = producer.getEndpoint().getConfiguration();
        this.chain = producer.getEndpoint().chain();
        this.messages = LlmProducer.initialMessages(exchange, cfg);
        for (LlmTool tool : tools) {
            toolsByName.put(tool.name(), tool);
            specs.add(component.schemas().toolSpecification(tool));
        }
        LlmListener given = exchange.getProperty(LlmConstants.LISTENER_PROPERTY, LlmListener.class);
        this.listener = given != null ? given : NO_LISTENER;
        Integer offsetProperty = exchange.getProperty(LlmConstants.SCRIPT_OFFSET_PROPERTY, Integer.class);
        this.scriptOffset = offsetProperty == null ? 0 : offsetProperty;
        String schemaText = exchange.getMessage().getHeader(LlmConstants.RESPONSE_SCHEMA, cfg.getResponseSchema(),
                String.class);
        this.schema = schemaText == null || schemaText.isBlank() ? null : schemaText;
        this.format = schema == null ? null : component.schemas().responseFormat(schema);
        this.budget = LlmProducer.budget(exchange, cfg);
    }

    /**
     * Starts the conversation; true when it ended before returning (the callback was then told so), false when it goes
     * on from other threads.
     */
    boolean begin() {
        step(this::nextTurn);
        if (phase.compareAndSet(RUNNING, PROCESS_RETURNED)) {
            return false;
        }
        callback.done(true);
        return true;
    }

    /** Runs a step of the conversation; whatever it throws ends the exchange. */
    private void step(Runnable step) {
        try {
            step.run();
        } catch (Throwable e) {
            end(e);
        }
    }

    private void end(Throwable failure) {
        if (!ended.compareAndSet(false, true)) {
            // the exchange is complete: what failed after (the route continued from the callback) is not its failure
            LOG.debug("A step failed after the conversation ended", failure);
            return;
        }
        if (failure != null) {
            exchange.setException(failure);
        }
        setHeaders();
        if (!phase.compareAndSet(RUNNING, ENDED_IN_PROCESS)) {
            callback.done(false);
        }
    }

    private void nextTurn() {
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
        long promptTokens = budget.micros() == null && budget.tokens() == null
                ? 0 : LlmProducer.estimateTokens(messages, specs);
        retries = 0;
        failures = new ArrayList<>();
        attempt(request, promptTokens);
    }

    /** Calls the current model of the chain; its reply or failure continues the conversation. */
    private void attempt(ChatRequest.Builder request, long promptTokens) {
        ResolvedModel model = chain.get(usage.chainIndex);
        request.modelName(model.modelName());
        usage.attempts++;
        LlmCircuitBreakers circuits = component.circuitBreakers();
        try {
            producer.checkBudget(model, cfg, usage, budget, promptTokens);
            circuits.acquire(model.circuitKey());
        } catch (LlmException refused) {
            failed(model, refused, false, request, promptTokens);
            return;
        }
        try {
            ModelCall.start(component, model, request.build(), cfg.getTimeout(), scriptOffset + usage.failedAttempts,
                    cfg.isStreaming() ? listener : null, usage)
                    .whenComplete((response, error) -> step(() -> {
                        if (error != null) {
                            failed(model, (LlmException) error, true, request, promptTokens);
                        } else {
                            answered(model, response);
                        }
                    }));
        } catch (RuntimeException | Error e) {
            circuits.release(model.circuitKey());
            throw e;
        }
    }

    private void answered(ResolvedModel model, ChatResponse response) {
        component.circuitBreakers().onSuccess(model.circuitKey());
        usage.answered = model;
        usage.finishReason = response.finishReason() == null ? null : response.finishReason().name();
        TokenUsage tokens = response.tokenUsage();
        if (tokens != null) {
            long in = tokens.inputTokenCount() == null ? 0 : tokens.inputTokenCount();
            long out = tokens.outputTokenCount() == null ? 0 : tokens.outputTokenCount();
            usage.inputTokens += in;
            usage.outputTokens += out;
            usage.costMicros = LlmPrices.saturatedAdd(usage.costMicros, component.costMicros(model, in, out));
        }
        AiMessage ai = response.aiMessage();
        messages.add(ai);
        if (ai.hasToolExecutionRequests()) {
            if (toolRounds >= cfg.getMaxToolRounds()) {
                throw new LlmException(Kind.BUDGET, "The model still asked for tools after maxToolRounds="
                                                    + cfg.getMaxToolRounds() + " rounds (calls: " + toolNames(ai) + ")");
            }
            toolRounds++;
            runTools(ai.toolExecutionRequests(), 0);
            return;
        }
        String text = ai.text() == null ? "" : ai.text();
        if (schema == null) {
            exchange.getMessage().setBody(text);
            end(null);
            return;
        }
        try {
            exchange.getMessage().setBody(producer.structured(text, schema));
            end(null);
        } catch (LlmProducer.InvalidOutput e) {
            if (repaired) {
                throw new LlmException(Kind.INVALID_OUTPUT, "The reply does not match responseSchema after a repair round: "
                                                            + e.getMessage());
            }
            repaired = true;
            LOG.trace("Asking {} to repair invalid structured output: {}", model.ref(), e.getMessage());
            messages.add(UserMessage.from("Your reply could not be used: " + e.getMessage()
                                          + ". Reply again with only a JSON value that matches this JSON Schema, "
                                          + "without any other text:\n" + schema));
            nextTurn();
        }
    }

    /**
     * Runs the tool calls of one round in order, from {@code from}: those that complete at once in a loop, and the
     * round continues from the callback of one that does not. Then the next turn.
     */
    private void runTools(List<ToolExecutionRequest> calls, int from) {
        for (int i = from; i < calls.size(); i++) {
            int next = i + 1;
            String position = "tool/" + toolRounds + "." + next;
            boolean sync = producer.runTool(exchange, calls.get(i), toolsByName, listener, position, (result, doneSync) -> {
                messages.add(result);
                if (!doneSync) {
                    step(() -> runTools(calls, next));
                }
            });
            if (!sync) {
                return;
            }
        }
        nextTurn();
    }

    private void failed(ResolvedModel model, LlmException e, boolean acquired, ChatRequest.Builder request,
            long promptTokens) {
        if (acquired) {
            component.circuitBreakers().onFailure(model.circuitKey(), e);
        }
        usage.answered = model;
        if (e.kind() == Kind.CIRCUIT_OPEN) {
            // nothing was sent: neither a retry nor a script step
            usage.attempts--;
            usage.failedAttempts--;
        }
        if (e.retryable() && e.kind() != Kind.CIRCUIT_OPEN && retries < cfg.getMaxRetries()) {
            long delay = LlmProducer.retryDelayMillis(cfg, retries, e);
            if (delay >= 0) {
                retries++;
                usage.failedAttempts++;
                LOG.debug("Model {} failed ({}), retry {} of {} in {} ms", model.ref(), e.kind(), retries,
                        cfg.getMaxRetries(), delay);
                retryAfter(delay, model, e, () -> attempt(request, promptTokens));
                return;
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
            attempt(request, promptTokens);
            return;
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

    /** Runs {@code retry} after {@code millis} without holding a thread meanwhile. */
    private void retryAfter(long millis, ResolvedModel model, LlmException failure, Runnable retry) {
        if (millis <= 0) {
            retry.run();
            return;
        }
        try {
            component.retryTimer().schedule(millis, () -> step(retry));
        } catch (RejectedExecutionException stopping) {
            LlmException cancelled = new LlmException(Kind.CANCELLED,
                    "caravan-llm stopped while waiting to retry " + model.ref(), stopping);
            cancelled.addSuppressed(failure);
            throw cancelled;
        }
    }

    private static String toolNames(AiMessage ai) {
        List<String> names = new ArrayList<>();
        ai.toolExecutionRequests().forEach(r -> names.add(r.name()));
        return String.join(", ", names);
    }

    private void setHeaders() {
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
        long firstToken = usage.firstTokenNanos;
        if (firstToken >= 0) {
            message.setHeader(LlmConstants.TIME_TO_FIRST_TOKEN_MILLIS, TimeUnit.NANOSECONDS.toMillis(firstToken - start));
        }
    }
}
