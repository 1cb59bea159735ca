package dev.caravan.bench;

import dev.caravan.llm.provider.AsyncChatModel;
import dev.caravan.llm.provider.LatencyScheduler;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

import java.util.List;

/**
 * Issue 13's fake model on the Caravan side: checks that the prompt is not empty and answers {@link #REPLY}. Called
 * through its handler (as {@code caravan-llm} calls an {@link AsyncChatModel}), a latency is a task on a 2-thread
 * scheduler that then delivers the reply, holding no thread meanwhile, as the Camel baseline's slow processor does.
 */
public final class FakeChatModel implements AsyncChatModel {

    /** The reply of every call, on both sides of the bench; stored verbatim (no JSON parsing). */
    public static final String REPLY = "{\"label\":\"ok\",\"score\":0.5}";

    private static final ChatResponse RESPONSE = ChatResponse.builder()
            .aiMessage(AiMessage.from(REPLY))
            .modelName(FakeChatModelFactory.PROVIDER)
            .tokenUsage(new TokenUsage(0, 0))
            .finishReason(FinishReason.STOP)
            .build();

    private final long latencyMillis;
    private final LatencyScheduler latency;

    public FakeChatModel(long latencyMillis, LatencyScheduler latency) {
        this.latencyMillis = latencyMillis;
        this.latency = latency;
    }

    /** The check of the fake model, shared with the Camel baseline's processors. */
    public static void checkPrompt(String prompt) {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("empty prompt");
        }
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        checkPrompt(lastUserText(request.messages()));
        if (latencyMillis > 0) {
            try {
                Thread.sleep(latencyMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("fake model call was interrupted", e);
            }
        }
        return RESPONSE;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        try {
            checkPrompt(lastUserText(request.messages()));
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        if (latencyMillis > 0) {
            latency.after(latencyMillis, () -> answer(handler));
        } else {
            answer(handler);
        }
    }

    private static void answer(StreamingChatResponseHandler handler) {
        handler.onPartialResponse(REPLY);
        handler.onCompleteResponse(RESPONSE);
    }

    // both interfaces have these as defaults: one answer for the class

    private static String lastUserText(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage user && user.hasSingleText()) {
                return user.singleText();
            }
        }
        return null;
    }
}
