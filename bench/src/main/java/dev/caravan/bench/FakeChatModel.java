package dev.caravan.bench;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Issue 13's fake model on the Caravan side: checks that the prompt is not empty and answers {@link #REPLY}. A
 * latency is waited out with {@code Thread.sleep}, as the scripted provider does today: that holds a thread, which is
 * what W3 measures.
 */
public final class FakeChatModel implements ChatModel, StreamingChatModel {

    /** The reply of every call, on both sides of the bench; stored verbatim (no JSON parsing). */
    public static final String REPLY = "{\"label\":\"ok\",\"score\":0.5}";

    private static final ChatResponse RESPONSE = ChatResponse.builder()
            .aiMessage(AiMessage.from(REPLY))
            .modelName(FakeChatModelFactory.PROVIDER)
            .tokenUsage(new TokenUsage(0, 0))
            .finishReason(FinishReason.STOP)
            .build();

    private final long latencyMillis;

    public FakeChatModel(long latencyMillis) {
        this.latencyMillis = latencyMillis;
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
        ChatResponse response;
        try {
            response = doChat(request);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onPartialResponse(REPLY);
        handler.onCompleteResponse(response);
    }

    // both interfaces have these as defaults: one answer for the class
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatModel.super.defaultRequestParameters();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return Collections.emptyList();
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of();
    }

    private static String lastUserText(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage user && user.hasSingleText()) {
                return user.singleText();
            }
        }
        return null;
    }
}
