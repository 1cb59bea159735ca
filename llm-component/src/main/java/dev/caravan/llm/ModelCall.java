package dev.caravan.llm;

import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.AsyncChatModel;
import dev.caravan.llm.provider.ScriptedChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One call of one model, completing a future instead of holding a thread:
 * <ul>
 * <li>a model that never waits is called on the caller's thread, and the future is complete on return;</li>
 * <li>an {@link AsyncChatModel} and a streaming model answer through a handler, on their own threads;</li>
 * <li>a blocking model that waits (a remote provider through LangChain4j's blocking client) runs on the component's
 * executor: virtual threads on Java 21+.</li>
 * </ul>
 * The component's timer ends a call that outlives the endpoint's timeout, unless the model holds the timeout itself.
 * The future fails only with an {@link LlmException}.
 */
final class ModelCall {

    private final LlmComponent component;
    private final ResolvedModel model;
    private final long timeoutMillis;
    private final CompletableFuture<ChatResponse> result = new CompletableFuture<>();
    /** Passes the deltas of a streamed call on; null for a call whose deltas nobody gets. */
    private DeltaRelay relay;

    private ModelCall(LlmComponent component, ResolvedModel model, long timeoutMillis) {
        this.component = component;
        this.model = model;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Starts a call of {@code model}.
     *
     * @param scriptOffset how far into its script a scripted model reads (the script offset plus the failed attempts)
     * @param deltas       gets the streamed deltas; null when the endpoint does not stream
     * @param usage        where the time of the first streamed token is kept
     */
    static CompletableFuture<ChatResponse> start(
            LlmComponent component, ResolvedModel model, ChatRequest request, long timeoutMillis, int scriptOffset,
            LlmListener deltas, Conversation.Usage usage) {
        ModelCall call = new ModelCall(component, model, timeoutMillis);
        call.run(request, scriptOffset, deltas, usage);
        return call.result;
    }

    private void run(ChatRequest request, int scriptOffset, LlmListener deltas, Conversation.Usage usage) {
        StreamingChatModel handlerModel = model.streamingChatModel();
        ChatModel blocking = model.chatModel();
        if (handlerModel == null && blocking instanceof AsyncChatModel async) {
            handlerModel = async;
        }
        if (handlerModel != null) {
            if (handlerModel instanceof ScriptedChatModel scripted) {
                handlerModel = scripted.withOffset(scriptOffset);
            }
            relay = new DeltaRelay(deltas, usage, result);
            try {
                handlerModel.chat(request, relay);
            } catch (RuntimeException | Error e) {
                fail(e);
            }
            // a model that answered at once (no latency) needs no timer: one is set only for a call still waiting
            if (!result.isDone()) {
                watchTimeout(null);
            }
            return;
        }
        ChatModel target = blocking instanceof ScriptedChatModel scripted ? scripted.withOffset(scriptOffset) : blocking;
        if (!model.waits()) {
            // it answers at once: a hand-off would cost more than the call
            try {
                result.complete(target.chat(request));
            } catch (RuntimeException | Error e) {
                fail(e);
            }
            return;
        }
        Future<?> task;
        try {
            task = component.getExecutorService().submit(() -> {
                try {
                    result.complete(target.chat(request));
                } catch (RuntimeException | Error e) {
                    fail(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new LlmException(Kind.CANCELLED, "caravan-llm is stopping: call rejected", e));
            return;
        }
        if (!model.enforcesTimeout()) {
            watchTimeout(task);
        }
    }

    /** Ends the call at the timeout (interrupting {@code task}, when the call runs on one) unless it answered before. */
    private void watchTimeout(Future<?> task) {
        ScheduledFuture<?> timeout;
        try {
            timeout = component.timer().schedule(() -> {
                LlmException late = new LlmException(Kind.TIMEOUT, model.ref() + " did not answer within "
                                                                   + timeoutMillis + " ms");
                // what follows a failed call (a retry, the next model, the route) does not run on the timer
                component.getExecutorService().execute(() -> {
                    if (fail(late) && task != null) {
                        task.cancel(true);
                    }
                });
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            fail(new LlmException(Kind.CANCELLED, "caravan-llm is stopping: call rejected", e));
            return;
        }
        result.whenComplete((response, error) -> timeout.cancel(false));
    }

    /** Fails the call with its classified failure, unless it already ended; whether this ended it. */
    private boolean fail(Throwable e) {
        LlmException failure = ProviderErrors.classify(model.ref(), e, component.now());
        return relay != null ? relay.fail(failure) : result.completeExceptionally(failure);
    }

    /**
     * Passes the deltas of one streamed call to the listener until the call ends. When the call fails, {@link #fail}
     * stops it (a late delta from the provider's thread is dropped, so the listener never sees the failed call's deltas
     * after it was told to drop them) and tells the listener how many it had passed on.
     */
    private final class DeltaRelay implements StreamingChatResponseHandler {
        private final LlmListener listener;
        private final Conversation.Usage usage;
        private final CompletableFuture<ChatResponse> result;
        private int relayed;
        private boolean discarded;

        DeltaRelay(LlmListener listener, Conversation.Usage usage, CompletableFuture<ChatResponse> result) {
            this.listener = listener;
            this.usage = usage;
            this.result = result;
        }

        @Override
        public void onPartialResponse(String partial) {
            if (listener == null || partial == null || partial.isEmpty()) {
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
                    fail(new LlmException(Kind.SERVER, "The stream ended without any reply (no text, no tool call, "
                                                       + "no finish reason): the server did not answer in its "
                                                       + "streaming format"));
                    return;
                }
                if (!discarded) {
                    result.complete(response);
                }
            }
        }

        @Override
        public void onError(Throwable error) {
            ModelCall.this.fail(error);
        }

        /** Ends the call with {@code failure} unless it ended; the listener drops what it got of it. */
        synchronized boolean fail(LlmException failure) {
            if (discarded || result.isDone()) {
                return false;
            }
            discarded = true;
            if (relayed > 0) {
                // the time to first token is that of the reply that is kept
                usage.firstTokenNanos = -1;
                listener.onDeltasDiscarded(relayed, failure);
            }
            return result.completeExceptionally(failure);
        }
    }
}
